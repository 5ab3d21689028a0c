package httpapi

import (
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// rendered keeps an answer rendered from one Snapshot of the model, so
// that the many clients that poll it share one rendering until the model
// changes (its Version does).
type rendered[T any] struct {
	last atomic.Pointer[rendering[T]]
}

type rendering[T any] struct {
	version uint64
	value   T
}

// get returns the rendering of snap, rendering it when the kept one is of
// another Version. Two requests that meet a change may both render it;
// either result is right.
func (r *rendered[T]) get(snap *pbx.Snapshot, render func(*pbx.Snapshot) T) T {
	if last := r.last.Load(); last != nil && last.version == snap.Version {
		return last.value
	}
	v := render(snap)
	r.last.Store(&rendering[T]{version: snap.Version, value: v})
	return v
}

// value is the rendering kept, of whichever Snapshot; the zero T if none.
func (r *rendered[T]) value() T {
	if last := r.last.Load(); last != nil {
		return last.value
	}
	var zero T
	return zero
}

// serveRendered answers a read of the model whose answer depends on the
// model only: render's value, as JSON, once per change of the model.
func serveRendered(px PBX, render func(*pbx.Snapshot) any) gin.HandlerFunc {
	var cache rendered[[]byte]
	encode := func(snap *pbx.Snapshot) []byte {
		return inRenderSlot(func() []byte {
			body, err := marshal(render(snap))
			if err != nil { // only our own types are encoded: a bug
				panic("httpapi: encoding the answer: " + err.Error())
			}
			return body
		})
	}
	return func(c *gin.Context) {
		snap, ok := model(c, px)
		if !ok {
			return
		}
		writeBody(c, http.StatusOK, cache.get(snap, encode))
	}
}

// renderSlots bounds how many answers of the model are rendered at once:
// one processor fewer than the process may use, at least one. However
// many clients poll, and however fast, a processor stays for what matters
// more than any answer: the AMI events and the pushes they make. Only the
// rendering waits for a slot; a client's own pace of reading does not
// hold one.
var renderSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// inRenderSlot runs render in a slot of renderSlots.
func inRenderSlot[T any](render func() T) T {
	renderSlots <- struct{}{}
	defer func() { <-renderSlots }()
	return render()
}

// bodies holds answer buffers for reuse: an answer of hundreds of
// channels is written without allocating one each time.
var bodies = sync.Pool{New: func() any { return new([]byte) }}
