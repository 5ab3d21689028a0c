package pausetimer

import (
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// userDataOf lists the UserData of every OnWrapUp so far, as "kind=data".
func (h *harness) userDataOf() []string {
	var out []string
	for _, w := range h.wrapUpList() {
		out = append(out, w.Kind+"="+w.UserData)
	}
	return out
}

// TestWrapUpUserData: a wrap-up's pushes carry the business data of the
// call that started it, then of the call that restarted it, and still do
// after coocenterd restarts in the middle of the pause.
func TestWrapUpUserData(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	first := completed("801", "c1")
	first.UserData = `{"order":42}`
	h.send(first)
	h.at(10)
	direct := phoneCall("801", "c2", "c2", true, false, "")
	direct.UserData = "ticket 7"
	h.send(direct) // restarts the pause: until 40
	h.restart(15, 20)
	if a := h.timer.Active(); len(a) != 1 || a[0].UserData != "ticket 7" {
		t.Errorf("Active() after the restart = %+v, want the userData of c2", a)
	}
	h.at(40)
	want := []string{`start={"order":42}`, "extend=ticket 7", "end=ticket 7"}
	if got := h.userDataOf(); !slices.Equal(got, want) {
		t.Errorf("wrap-ups' userData = %q, want %q", got, want)
	}
}

// TestWrapUpRecordWithoutUserData: a wrap-up stored before userData was
// (no "userData" in its calls) still resumes, and its pushes have none.
func TestWrapUpRecordWithoutUserData(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.close()
	old := `{"exten":"801","interface":"SIP/801","queues":["630","631"],"phase":"running",` +
		`"since":"2026-11-21T10:00:00Z","start":"2026-11-21T10:00:00Z","until":"2026-11-21T10:00:30Z",` +
		`"calls":[{"uniqueid":"c1","linkedid":"c1","at":"2026-11-21T10:00:00Z"}]}`
	db := testkit.OpenDB(t, h.path)
	err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRoot).Bucket(bucketWrapUps).Put([]byte("801"), []byte(old))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.clock.Set(h.sec(10))
	h.open()
	if a := h.timer.Active(); len(a) != 1 || a[0].Uniqueid != "c1" || a[0].UserData != "" {
		t.Fatalf("Active() after reading the old record = %+v, want c1 without userData", a)
	}
	h.at(30)
	h.wantKinds("end:timer")
	if got := h.userDataOf(); len(got) != 1 || got[0] != "end=" {
		t.Errorf("wrap-ups' userData = %q, want none", got)
	}
}
