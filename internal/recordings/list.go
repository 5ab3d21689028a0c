package recordings

import (
	"container/heap"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// MaxListLimit is the largest page, and the page size when Query.Limit is 0.
const MaxListLimit = 500

// MaxWalkEntries bounds the entries (files and folders) one listing looks
// at, so that one request costs bounded time however full the disk is: a
// box recording a thousand calls a day reaches it after about three years.
// Beyond it, List fails with ErrTooMany rather than list part of the folder
// in the wrong order.
const MaxWalkEntries = 1_000_000

var (
	// ErrBadKey is returned for a Query.After that List did not give out.
	ErrBadKey = errors.New("the start key is not one this server gave out")
	// ErrTooMany is returned when the folder holds more than MaxWalkEntries entries.
	ErrTooMany = fmt.Errorf("the monitor folder holds more than %d entries: too many to list", MaxWalkEntries)
)

// Query selects a page of recordings.
type Query struct {
	From, To time.Time // modification time in [From, To); zero means open
	After    string    // Page.Next of the previous page; "" for the first
	Limit    int       // page size, 1 to MaxListLimit; 0 means MaxListLimit
}

// Page is one page of recordings, oldest first.
type Page struct {
	Files []File
	Next  string // start key of the next page; "" on the last one
}

// File is a recording as listed.
type File struct {
	Name    string // slash-separated, relative to the folder
	Size    int64
	ModTime time.Time // when Asterisk last wrote it: the end of the call
}

// cursor is a position in the listing order: modification time, then name.
type cursor struct {
	nanos int64
	name  string
}

func (a cursor) less(b cursor) bool {
	return a.nanos < b.nanos || a.nanos == b.nanos && a.name < b.name
}

// encode is the opaque key: base64url of "nanos/name". A key names a
// position, not a file, so pages stay stable while files are added.
func (a cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(a.nanos, 10) + "/" + a.name))
}

func decodeCursor(key string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return cursor{}, ErrBadKey
	}
	n, name, ok := strings.Cut(string(raw), "/")
	nanos, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || n != strconv.FormatInt(nanos, 10) {
		return cursor{}, ErrBadKey
	}
	if _, err := CleanName(name); err != nil {
		return cursor{}, ErrBadKey
	}
	return cursor{nanos, name}, nil
}

// List returns one page of the recordings whose modification time is in
// the query's range, ordered by modification time, then name. A missing
// folder has no recordings. The error is ErrBadKey, ErrTooMany or one of
// reading the folder.
func (f *Folder) List(q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	var after *cursor
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	root, err := f.openRoot()
	if errors.Is(err, fs.ErrNotExist) {
		return Page{Files: []File{}}, nil
	} else if err != nil {
		return Page{}, err
	}
	defer root.Close()
	// The page is the limit+1 smallest files after the key: a heap of
	// that size keeps memory bounded by the page, not by the folder.
	best := &fileHeap{}
	keep := func(file File) {
		heap.Push(best, file)
		if best.Len() > limit+1 {
			heap.Pop(best)
		}
	}
	if err := walk(root.FS(), q, after, MaxWalkEntries, keep); err != nil {
		return Page{}, err
	}
	return page(best, limit), nil
}

// walk calls keep for every listable file in q's range after the cursor,
// or fails with ErrTooMany after maxEntries entries.
func walk(fsys fs.FS, q Query, after *cursor, maxEntries int, keep func(File)) error {
	seen := 0
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if seen++; seen > maxEntries {
			return ErrTooMany
		}
		if name == "." {
			return err // an unreadable folder fails the listing
		}
		if _, bad := CleanName(name); bad != nil { // hidden, or not downloadable
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err != nil || !d.Type().IsRegular() { // unreadable sub-folder, symlink, device…
			return nil
		}
		info, err := d.Info()
		if err != nil { // removed meanwhile
			return nil
		}
		mt := info.ModTime()
		if !q.From.IsZero() && mt.Before(q.From) || !q.To.IsZero() && !mt.Before(q.To) {
			return nil
		}
		if after != nil && !after.less(cursor{mt.UnixNano(), name}) {
			return nil
		}
		keep(File{Name: name, Size: info.Size(), ModTime: mt})
		return nil
	})
}

// page sorts the kept files and cuts the page; one more than the limit
// means there is a next page.
func page(best *fileHeap, limit int) Page {
	files := make([]File, best.Len())
	for i := len(files) - 1; i >= 0; i-- {
		files[i] = heap.Pop(best).(File)
	}
	p := Page{Files: files}
	if len(files) > limit {
		p.Files = files[:limit]
		last := files[limit-1]
		p.Next = cursor{last.ModTime.UnixNano(), last.Name}.encode()
	}
	return p
}

// fileHeap is a max-heap in listing order: its root is the file to drop.
type fileHeap []File

func (h fileHeap) Len() int      { return len(h) }
func (h fileHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h fileHeap) Less(i, j int) bool {
	return cursor{h[j].ModTime.UnixNano(), h[j].Name}.less(cursor{h[i].ModTime.UnixNano(), h[i].Name})
}
func (h *fileHeap) Push(x any) { *h = append(*h, x.(File)) }
func (h *fileHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
