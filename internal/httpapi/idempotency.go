package httpapi

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Idempotency: a call command (click-number, hangup, transfer, extenSpy)
// retried with the same Idempotency-Key header on the same path within
// idempotencyTTL gets the first answer again, and the PBX is not asked
// twice. A duplicate arriving while the first is running waits for it.
const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	idempotencyTTL       = 10 * time.Minute
	idempotencyMaxKeys   = 10000 // answers are small: a few MB at most
	idempotencyMaxKeyLen = 128
)

var idempotencyKey = kind{valid: isASCIIText(idempotencyMaxKeyLen, true),
	must: fmt.Sprintf("printable ASCII, at most %d characters", idempotencyMaxKeyLen)}

// idempotencyStore keeps recent answers by path and key. Entries are in a
// list in order of arrival, which is also the order they expire in.
type idempotencyStore struct {
	now  func() time.Time
	ttl  time.Duration
	max  int
	mu   sync.Mutex
	byID map[string]*idemEntry
	age  *list.List // of *idemEntry, oldest first
}

// idemEntry is one request's answer, or its promise while it runs.
type idemEntry struct {
	id          string
	fingerprint [sha256.Size]byte // of the parameters: the same key with others is a client bug
	created     time.Time
	elem        *list.Element
	done        chan struct{} // closed by finish; the fields below are set before
	finished    bool          // guarded by the store's mu
	keep        bool          // false: nothing was done; the entry is gone, a retry runs again
	status      int
	header      http.Header
	body        []byte
}

func newIdempotencyStore(now func() time.Time) *idempotencyStore {
	return &idempotencyStore{now: now, ttl: idempotencyTTL, max: idempotencyMaxKeys,
		byID: map[string]*idemEntry{}, age: list.New()}
}

// claim returns the entry of id, creating it if there is none; owner says
// whether the caller created it and must run the request and finish it.
func (st *idempotencyStore) claim(id string, fp [sha256.Size]byte) (e *idemEntry, owner bool, _ *apiError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire()
	if e := st.byID[id]; e != nil {
		if e.fingerprint != fp {
			return nil, false, &apiError{http.StatusUnprocessableEntity,
				"this Idempotency-Key was already used with other parameters"}
		}
		return e, false, nil
	}
	if len(st.byID) >= st.max && !st.evictOldestFinished() {
		return nil, false, &apiError{http.StatusServiceUnavailable,
			"too many requests in progress; try again shortly"}
	}
	e = &idemEntry{id: id, fingerprint: fp, created: st.now(), done: make(chan struct{})}
	e.elem = st.age.PushBack(e)
	st.byID[id] = e
	return e, true, nil
}

// finish records e's answer and wakes those waiting for it. An answer
// after which nothing was done is not kept.
func (st *idempotencyStore) finish(e *idemEntry, keep bool, status int, header http.Header, body []byte) {
	st.mu.Lock()
	e.keep, e.status, e.header, e.body = keep, status, header, body
	e.finished = true
	if !keep {
		st.remove(e)
	}
	st.mu.Unlock()
	close(e.done)
}

// expire drops finished entries older than the TTL. mu is held.
func (st *idempotencyStore) expire() {
	cutoff := st.now().Add(-st.ttl)
	for el := st.age.Front(); el != nil; {
		e := el.Value.(*idemEntry)
		if e.created.After(cutoff) {
			return
		}
		el = el.Next()
		if e.finished {
			st.remove(e)
		}
	}
}

// evictOldestFinished makes room for one entry. mu is held.
func (st *idempotencyStore) evictOldestFinished() bool {
	for el := st.age.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*idemEntry); e.finished {
			st.remove(e)
			return true
		}
	}
	return false
}

func (st *idempotencyStore) remove(e *idemEntry) {
	if st.byID[e.id] == e {
		delete(st.byID, e.id)
		st.age.Remove(e.elem)
	}
}

// idempotent is the middleware of the call commands; without the header
// the request just runs.
func (s *server) idempotent(c *gin.Context) {
	key := c.GetHeader(headerIdempotencyKey)
	if key == "" {
		return
	}
	if !idempotencyKey.valid(key) {
		fail(c, http.StatusBadRequest, fmt.Sprintf("header %q must be %s", headerIdempotencyKey, idempotencyKey.must))
		return
	}
	id, fp := c.Request.URL.Path+"\x00"+key, fingerprint(paramsOf(c))
	for {
		e, owner, err := s.idem.claim(id, fp)
		switch {
		case err != nil:
			failWith(c, err)
			return
		case owner:
			s.runRecorded(c, e)
			return
		}
		select {
		case <-e.done:
			if e.keep {
				replay(c, e)
				return
			}
			// The first attempt did nothing (Asterisk was down): run it now.
		case <-c.Request.Context().Done():
			fail(c, http.StatusConflict, "a request with this Idempotency-Key is still in progress")
			return
		}
	}
}

// runRecorded runs the rest of the chain, keeping a copy of the answer in e.
func (s *server) runRecorded(c *gin.Context, e *idemEntry) {
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	finished := false
	defer func() {
		c.Writer = rec.ResponseWriter
		if !finished { // a panic: nothing to replay, let a retry run
			s.idem.finish(e, false, 0, nil, nil)
		}
	}()
	c.Next()
	s.idem.finish(e, !c.GetBool(keyNothingDone), rec.Status(), rec.Header().Clone(), rec.body.Bytes())
	finished = true
}

// replay answers with a kept answer.
func replay(c *gin.Context, e *idemEntry) {
	h := c.Writer.Header()
	for k, v := range e.header {
		h[k] = slices.Clone(v)
	}
	h.Set(headerReplayed, "true")
	c.Status(e.status)
	_, _ = c.Writer.Write(e.body)
	c.Abort()
}

// recordingWriter copies the body it writes.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// fingerprint hashes the parameters, in name order.
func fingerprint(p *params) [sha256.Size]byte {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(p.values)) {
		fmt.Fprintf(h, "%q=%q\n", k, p.values[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.nonScalar)) {
		fmt.Fprintf(h, "%q={}\n", k)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
