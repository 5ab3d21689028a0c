package callid

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

var asteriskForm = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func next(t *testing.T, g *Generator) string {
	t.Helper()
	id, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !asteriskForm.MatchString(id) {
		t.Fatalf("id %q is not of Asterisk's numeric form", id)
	}
	return id
}

func TestIDsOfOneSecondAndTheNext(t *testing.T) {
	c := &clock{time.Unix(1796223761, 500)}
	g := New(c.now)
	for i, want := range []string{"1796223761.0001", "1796223761.0002", "1796223761.0003"} {
		if got := next(t, g); got != want {
			t.Fatalf("id %d: %s, want %s", i, got, want)
		}
	}
	c.t = c.t.Add(time.Second)
	if got := next(t, g); got != "1796223762.0001" {
		t.Fatalf("next second: %s", got)
	}
}

func TestAFullSecondBorrowsTheNext(t *testing.T) {
	g := New((&clock{time.Unix(100, 0)}).now)
	var last string
	for range perSecond {
		last = next(t, g)
	}
	if last != "100.0999" {
		t.Fatalf("999th id of a second: %s", last)
	}
	if got := next(t, g); got != "101.0001" {
		t.Fatalf("1000th id: %s, want the next second's first", got)
	}
}

// TestUniqueAcrossRestarts: a second process, even with the clock set
// back, continues after the last id the first stored.
func TestUniqueAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coocenterd.db")
	c := &clock{time.Unix(1796223761, 0)}
	seen := map[string]bool{}
	for restart := range 3 {
		db := testkit.OpenDB(t, path)
		g, err := Open(db, c.now)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			id := next(t, g)
			if seen[id] {
				t.Fatalf("restart %d issued %s again", restart, id)
			}
			seen[id] = true
		}
		db.Close()
		c.t = c.t.Add(-time.Hour) // the clock goes back between runs
	}
	if len(seen) != 15 {
		t.Fatalf("%d ids", len(seen))
	}
}

// TestNeverAnAsteriskID: as text and as a number, no id of ours equals an
// id Asterisk makes in the same second ("%li.%d" of its channel counter).
func TestNeverAnAsteriskID(t *testing.T) {
	g := New((&clock{time.Unix(1796223761, 0)}).now)
	ours := map[float64]string{}
	for range perSecond {
		id := next(t, g)
		f, err := strconv.ParseFloat(id, 64)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := ours[f]; dup {
			t.Fatalf("%s and %s are the same number", id, other)
		}
		ours[f] = id
	}
	for counter := range 200000 {
		id := "1796223761." + strconv.Itoa(counter)
		f, _ := strconv.ParseFloat(id, 64)
		if mine, clash := ours[f]; clash {
			t.Fatalf("Asterisk's %s equals our %s as a number", id, mine)
		}
	}
}

func TestStoredIDUnreadable(t *testing.T) {
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "coocenterd.db"))
	defer db.Close()
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put(lastKey, []byte("1796223761.coo79c941e0f697"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(db, nil); err == nil {
		t.Fatal("an unreadable stored id was accepted")
	}
}
