package pusher

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The journal is the outbox's write-ahead log. A bbolt transaction costs
// two flushes to disk (its pages, then its meta page); a batch of the
// committer written to the journal costs one write into a file that is
// already allocated, and one fdatasync. What the journal holds is moved
// into bbolt now and then (a checkpoint: when it is full, before a dead
// letter or a replay, at Close and at Open), and the journal starts again
// from its beginning.
//
// The file has a fixed size, zeros when made. It is a run of frames from
// offset 0, each a batch:
//
//	u32 payload length | u32 CRC-32C of generation and payload | u64 generation | payload
//
// All little-endian. The first frame of a generation is a header (payload
// "H"); starting again writes the header of the next generation at 0, and
// the frames after it that are left from earlier generations no longer
// count. Reading stops at the first frame that is not whole, not of the
// header's generation, or of length 0: a frame torn by a crash is not
// read, and its batch was not yet taken (it is taken once its fdatasync
// returns).
//
// A payload is a run of entries, one per receiver and event:
//
//	kind byte | u16 URL length | URL | u64 seq | u32 record length | record JSON
//
// kind is 'A' (appended), 'R' (a failed attempt: the record as it now is)
// or 'D' (delivered: no record). Applying entries again is harmless: a
// checkpoint puts a record at its seq or deletes it.
type journal struct {
	f    *os.File
	size int64
	gen  uint64 // of the frames being written
	pos  int64  // where the next frame goes
	buf  []byte
}

const (
	journalSize  = 8 << 20
	frameHeader  = 16
	headerRecord = 'H'
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errJournalFull: append was given a frame that does not fit; its caller
// checks fits first (and checkpoints), so this is append's guard only.
var errJournalFull = errors.New("push journal full")

// openJournal opens the journal at path, making it (size bytes of zeros)
// when it is missing or smaller, and returns it with the payloads of the
// frames of its last generation, for the caller to check in before
// calling reset.
func openJournal(path string, size int64) (*journal, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("push journal: %w", err)
	}
	j := &journal{f: f, size: size}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("push journal %s: %w", path, err)
	}
	payloads := j.scan(data)
	if int64(len(data)) < size {
		if err := j.zero(int64(len(data)), size); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("push journal %s: %w", path, err)
		}
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("push journal %s: %w", path, err)
		}
	} else {
		j.size = int64(len(data))
	}
	return j, payloads, nil
}

// scan reads the frames of the generation that starts at 0 and sets gen
// and pos after them.
func (j *journal) scan(data []byte) [][]byte {
	var out [][]byte
	for pos := 0; pos+frameHeader <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[pos:]))
		sum := binary.LittleEndian.Uint32(data[pos+4:])
		gen := binary.LittleEndian.Uint64(data[pos+8:])
		end := pos + frameHeader + n
		if n == 0 || end > len(data) || crc32.Update(crc32.Checksum(data[pos+8:pos+16], castagnoli), castagnoli, data[pos+16:end]) != sum {
			break
		}
		payload := data[pos+frameHeader : end]
		if pos == 0 {
			if len(payload) != 1 || payload[0] != headerRecord {
				break // not a journal this daemon wrote
			}
			j.gen = gen
		} else if gen != j.gen {
			break // left from an earlier generation
		} else {
			out = append(out, payload)
		}
		pos = end
		j.pos = int64(end)
	}
	return out
}

// zero writes zeros from off to size and makes them durable.
func (j *journal) zero(off, size int64) error {
	block := make([]byte, 1<<20)
	for off < size {
		n := min(int64(len(block)), size-off)
		if _, err := j.f.WriteAt(block[:n], off); err != nil {
			return err
		}
		off += n
	}
	return j.f.Sync()
}

// fits says whether a frame of payload bytes fits after the frames written.
func (j *journal) fits(payload int) bool {
	return j.pos+int64(frameHeader+payload) <= j.size
}

// append writes payload as the next frame and returns once it is on disk.
// A failed write is written whole again by the next call.
func (j *journal) append(payload []byte) error {
	if !j.fits(len(payload)) {
		return errJournalFull
	}
	if err := j.writeAt(j.pos, j.gen, payload); err != nil {
		return err
	}
	j.pos += int64(frameHeader + len(payload))
	return nil
}

// reset starts the next generation: what was written no longer counts.
func (j *journal) reset() error {
	if err := j.writeAt(0, j.gen+1, []byte{headerRecord}); err != nil {
		return err
	}
	j.gen++
	j.pos = frameHeader + 1
	return nil
}

func (j *journal) writeAt(at int64, gen uint64, payload []byte) error {
	b := j.buf[:0]
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, gen)
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[4:], crc32.Update(crc32.Checksum(b[8:16], castagnoli), castagnoli, payload))
	j.buf = b
	if _, err := j.f.WriteAt(b, at); err != nil {
		return fmt.Errorf("push journal: %w", err)
	}
	if err := fdatasync(j.f); err != nil {
		return fmt.Errorf("push journal: %w", err)
	}
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// Journal entries.
const (
	entryAppend = 'A'
	entryRetry  = 'R'
	entryDone   = 'D'
)

// appendEntry adds one entry to a payload; rec is nil for entryDone.
func appendEntry(b []byte, kind byte, url string, seq uint64, rec *record) []byte {
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(url)))
	b = append(b, url...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	if rec == nil {
		return binary.LittleEndian.AppendUint32(b, 0)
	}
	at := len(b)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = rec.appendJSON(b)
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// entries calls f for each entry of a payload, in order.
func entries(payload []byte, f func(kind byte, url string, seq uint64, rec []byte) error) error {
	for b := payload; len(b) > 0; {
		if len(b) < 3 {
			return errBadEntry
		}
		kind, n := b[0], int(binary.LittleEndian.Uint16(b[1:]))
		b = b[3:]
		if len(b) < n+12 {
			return errBadEntry
		}
		url := string(b[:n])
		seq := binary.LittleEndian.Uint64(b[n:])
		m := int(binary.LittleEndian.Uint32(b[n+8:]))
		b = b[n+12:]
		if len(b) < m {
			return errBadEntry
		}
		if err := f(kind, url, seq, b[:m]); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}

var errBadEntry = errors.New("push journal: a frame's entries do not parse")

// syncDir makes a new file's name durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// openJournal opens the outbox's journal (the database's path +
// "-journal") when there is a receiver, checks in what a daemon that
// stopped without Close left in it, and starts it again. A journal whose
// frames are whole but do not parse (not one this daemon wrote) is set
// aside, renamed, for a person to look at, and a new one is made: the
// daemon starts, and the file is not lost.
func (p *Pusher) openJournal() error {
	if len(p.receivers) == 0 {
		return nil
	}
	path := p.db.Path() + "-journal"
	j, payloads, err := openJournal(path, p.opts.journalSize)
	if err != nil {
		return err
	}
	entries, err := readEntries(payloads, p.remember)
	if errors.Is(err, errBadEntry) {
		j.close()
		aside := fmt.Sprintf("%s.unreadable-%d", path, p.opts.Now().Unix())
		if err := os.Rename(path, aside); err != nil {
			return fmt.Errorf("push journal %s: unreadable, and cannot be set aside: %w", path, err)
		}
		p.log.Error("push journal unreadable: set aside, its events are not sent; a new journal is made",
			"journal", path, "aside", aside, "frames", len(payloads))
		clear(p.pending)
		if j, _, err = openJournal(path, p.opts.journalSize); err != nil {
			return err
		}
	} else if len(payloads) > 0 {
		if err := p.update(p.checkIn); err != nil {
			j.close()
			return fmt.Errorf("push journal %s: %w", path, err)
		}
		clear(p.pending)
		p.log.Info("push journal checked in after an unclean stop", "frames", len(payloads), "entries", entries)
	}
	if err := j.reset(); err != nil {
		j.close()
		return err
	}
	p.journal, p.journalWrite = j, j.append
	return nil
}

// readEntries hands every entry of the payloads to f, in order, with its
// record decoded (a delivery has none); it stops at the first that does
// not parse, with errBadEntry, before f has seen any.
func readEntries(payloads [][]byte, f func(kind byte, url string, seq uint64, rec record)) (int, error) {
	type entry struct {
		kind byte
		url  string
		seq  uint64
		rec  record
	}
	var all []entry
	for _, payload := range payloads {
		err := entries(payload, func(kind byte, url string, seq uint64, v []byte) error {
			e := entry{kind: kind, url: url, seq: seq}
			switch kind {
			case entryAppend, entryRetry:
				if err := json.Unmarshal(v, &e.rec); err != nil {
					return fmt.Errorf("%w: %v", errBadEntry, err)
				}
			case entryDone:
			default:
				return errBadEntry
			}
			all = append(all, e)
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	for _, e := range all {
		f(e.kind, e.url, e.seq, e.rec)
	}
	return len(all), nil
}

// closeJournal checks in what the journal holds, so that bbolt holds the
// whole outbox, and closes it. If that fails the journal keeps it for the
// next Open.
func (p *Pusher) closeJournal() {
	if p.journal == nil {
		return
	}
	if err := p.checkpoint(); err != nil {
		p.log.Error("push journal not checked in at shutdown; the next start does it", "err", err)
	}
	if err := p.journal.close(); err != nil {
		p.log.Error("push journal close", "err", err)
	}
	p.journal = nil
}
