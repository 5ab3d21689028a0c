package blacklist

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// csvColumns are the CSV columns, in the order ExportCSV writes them and
// ImportCSV reads a file without a header.
var csvColumns = []string{"number", "reason", "expires", "added"}

// maxCSVRowBytes bounds the input per allowed row, so a hostile upload
// cannot make ImportCSV hold more than MaxEntries rows' worth of text.
const maxCSVRowBytes = 512

// ExportCSV writes every entry as CSV: a header line "number,reason,expires,added"
// then one line per entry in number order, times in RFC 3339 (UTC), an
// empty expires for a permanent entry.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer) error {
	entries, err := s.Entries(ctx)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(csvColumns)
	for _, e := range entries {
		_ = cw.Write([]string{e.Number, e.Reason, formatTime(e.Expires), formatTime(e.Added)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export blacklist: %w", err)
	}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ImportCSV adds or updates the entries of a CSV file, all or nothing: if
// any line is bad, nothing is imported and the error (a *CSVError, matching
// ErrInvalid) names every bad line (the first 20) with its line number.
//
// The first line is a header if one of its cells is "number"; its columns
// (number, reason, expires, added; any order; number required) say where
// each value is. Without a header the columns are number[,reason[,expires[,added]]].
// Times are RFC 3339. A row whose expiry has passed is skipped; a number
// listed twice takes its last row; an existing entry is updated as
// AddEntry does (added comes from the file when given). It returns how many
// entries were written. An import that would overflow the cap imports
// nothing and matches ErrFull. AstDB follows in the background (Run).
func (s *Store) ImportCSV(ctx context.Context, r io.Reader) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	rows, err := s.readCSV(r, now)
	if err != nil {
		return 0, err
	}
	err = s.db.Update(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		for _, row := range rows {
			if err := t.put(row.number, row.record, s.opts.MaxEntries, now); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("import blacklist CSV: %w", err)
	}
	s.wake()
	return len(rows), nil
}

type csvRow struct {
	number string
	record
}

// readCSV parses and validates the whole input before anything is written.
func (s *Store) readCSV(r io.Reader, now time.Time) ([]csvRow, error) {
	cr := csv.NewReader(&cappedReader{r: r, left: int64(s.opts.MaxEntries+1)*maxCSVRowBytes + 1})
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols := csvColumns
	var (
		rows   []csvRow
		index  = map[string]int{}
		report CSVError
	)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				report.add(pe.Line, invalidf("%v", pe.Err))
				break
			}
			return nil, fmt.Errorf("read blacklist CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if first && isHeader(rec) {
			if cols, err = csvHeader(rec); err != nil {
				report.add(line, err)
				break
			}
			continue
		}
		row, err := parseRow(cols, rec, now)
		switch {
		case err != nil:
			report.add(line, err)
		case row.expired(now):
			// an expired row blocks nobody: skip it
		default:
			i, dup := index[row.number]
			switch {
			case dup:
				rows[i] = row
			case len(rows) >= s.opts.MaxEntries:
				return nil, fmt.Errorf("import blacklist CSV: %w: more than %d entries", ErrFull, s.opts.MaxEntries)
			default:
				index[row.number] = len(rows)
				rows = append(rows, row)
			}
		}
	}
	if len(report.Lines) > 0 {
		return nil, &report
	}
	return rows, nil
}

// isHeader: a line with a cell "number" (never a valid number) is a header.
func isHeader(rec []string) bool {
	return slices.ContainsFunc(rec, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "number") })
}

func csvHeader(rec []string) ([]string, error) {
	cols := make([]string, len(rec))
	seen := map[string]bool{}
	for i, c := range rec {
		c = strings.ToLower(strings.TrimSpace(c))
		switch {
		case !slices.Contains(csvColumns, c):
			return nil, invalidf("unknown column %s in the header: the columns are %s", show(c), strings.Join(csvColumns, ", "))
		case seen[c]:
			return nil, invalidf("column %q appears twice in the header", c)
		}
		seen[c], cols[i] = true, c
	}
	return cols, nil
}

func parseRow(cols, rec []string, now time.Time) (csvRow, error) {
	if len(rec) > len(cols) {
		return csvRow{}, invalidf("%d fields, but there are only %d columns", len(rec), len(cols))
	}
	var row csvRow
	for i, v := range rec {
		v = strings.TrimSpace(v)
		var err error
		switch cols[i] {
		case "number":
			row.number, err = v, ValidNumber(v)
		case "reason":
			row.Reason, err = v, validReason(v)
		case "expires":
			row.Expires, err = parseCSVTime("expires", v)
		case "added":
			row.Added, err = parseCSVTime("added", v)
		}
		if err != nil {
			return csvRow{}, err
		}
	}
	if row.number == "" {
		return csvRow{}, ValidNumber("")
	}
	if row.Added.After(now) {
		row.Added = now
	}
	return row, nil
}

func parseCSVTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, invalidf("%s %s is not an RFC 3339 time such as 2026-12-31T23:59:59Z", name, show(v))
	}
	return t.UTC().Truncate(time.Second), nil
}

// CSVError lists the bad lines of a CSV import; nothing was imported.
type CSVError struct {
	Lines []LineError // the first 20 bad lines
	More  int         // how many further bad lines were not kept
}

// LineError is one bad CSV line.
type LineError struct {
	Line int // 1-based line number in the file
	Err  error
}

const maxLineErrors = 20

func (e *CSVError) add(line int, err error) {
	if len(e.Lines) < maxLineErrors {
		e.Lines = append(e.Lines, LineError{line, err})
	} else {
		e.More++
	}
}

// Error reads "nothing imported: line 3: …; line 9: …".
func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString("nothing imported")
	for i, l := range e.Lines {
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%sline %d: %v", sep, l.Line, l.Err)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more bad lines", e.More)
	}
	return b.String()
}

// Is makes a CSVError match ErrInvalid.
func (e *CSVError) Is(target error) bool { return target == ErrInvalid }

// cappedReader fails, rather than truncating silently, when the input
// reaches left bytes (set it one past the limit).
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left <= 0 {
		return n, fmt.Errorf("%w: the CSV file is larger than its entries could be", ErrFull)
	}
	return n, err
}
