package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/recordings"
	"github.com/coocenter/coocenterd/internal/stream"
)

// PBX is the PBX as the API needs it; internal/pbx implements it.
// Queries read the live model; commands go to Asterisk and honour ctx.
type PBX interface {
	// Snapshot is the live model as it stands, read without a lock; its
	// Version changes whenever anything in it does.
	Snapshot() *pbx.Snapshot
	// PauseMember pauses or unpauses exten; queue "" means every queue of that member.
	PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error
	AddMember(ctx context.Context, queue, exten string) error    // idempotent
	RemoveMember(ctx context.Context, queue, exten string) error // idempotent
	ClickToCall(ctx context.Context, src, dst, userData string) (callID string, err error)
	Hangup(ctx context.Context, exten string) error
	Transfer(ctx context.Context, src, dst, userData string) error
	Spy(ctx context.Context, src, dst string, mode pbx.SpyMode) (string, error)

	// The agent's verbs (api.md §3.17–§3.23).
	Hold(ctx context.Context, exten string) error
	Unhold(ctx context.Context, exten string) error
	Mute(ctx context.Context, exten string, muted bool) error
	Consult(ctx context.Context, src, dst, userData string) (callID string, err error)
	ConsultTransfer(ctx context.Context, src string) error
	ConsultCancel(ctx context.Context, src string) error
	ThreeWay(ctx context.Context, src string) error
	PlaceWebcall(ctx context.Context, w pbx.Webcall) (callID string, err error)
}

// Blacklist is the store of blocked caller numbers; internal/blacklist implements it.
type Blacklist interface {
	List(ctx context.Context) ([]string, error)
	Add(ctx context.Context, number string) error // idempotent
	Remove(ctx context.Context, number string) (found bool, err error)
}

// Options configures the API handler returned by New.
type Options struct {
	PBX       PBX       // required
	Blacklist Blacklist // required
	// WebKey is api.conf's WEBKEY; "" turns authentication off.
	WebKey string
	// Location is the box's time zone, used for the date in the auth token
	// (default time.Local).
	Location *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the access log (debug level) and errors (default: discard).
	Logger *slog.Logger
	// RequestTimeout bounds every request; PBX calls get a ctx with this
	// deadline (default 10s).
	RequestTimeout time.Duration
	// Version is reported by GET /healthz.
	Version string
	// Metrics, if non-nil, is served at GET /metrics behind authentication:
	// the API's, or MetricsToken as a bearer token, or a source address in
	// MetricsAllow.
	Metrics      http.Handler
	MetricsToken string
	MetricsAllow []netip.Prefix
	// Registerer, if non-nil, receives the HTTP request metrics.
	Registerer prometheus.Registerer
	// Storage, if non-nil, tells GET /readyz whether the daemon's storage
	// can be written (nil error: it can).
	Storage func(context.Context) error
	// Push, if non-nil, serves the push dead letters: GET push/dead-letters
	// and POST push/replay.
	Push Push
	// WrapUps, if non-nil, serves the after-call pauses: queues/wrapups,
	// queues/wrapup-end and queues/wrapup-extend.
	WrapUps WrapUps
	// Recordings, if non-nil, serves the monitor folder: GET and HEAD
	// monitor/{filePath} (§3.12) and recordings/index.
	Recordings *recordings.Folder
	// Links, if non-nil, signs expiring recording links (recordings/link,
	// the url of recordings/index), which monitor/ then accepts instead of
	// the Authorization header.
	Links *recordings.Links
	// Stream, if non-nil, is served as the live event stream (§7): GET
	// events, and POST events/token for the tokens that open it without
	// the Authorization header (signed with a key derived from WebKey).
	Stream *stream.Stream
	// Heartbeat is how often an idle stream gets a comment line
	// (DefaultHeartbeat); Clock times it (default clock.Wall).
	Heartbeat time.Duration
	Clock     clock.Clock
	// Bar, if non-nil, with Stream, serves the agents' call bar and the
	// supervisors' wall (§8): the pages at /bar/, POST bar/link for the
	// signed links that open them, and the realtime snapshot of the stream.
	Bar *Bar
}

// Bar configures the call bar and the wall.
type Bar struct {
	View         board.View   // how rows are shown: pop_url, the SLA (its Location is Options.Location)
	Tally        *board.Tally // today's counts of the queues; nil: none counted
	PauseReasons []string     // the reasons the bar offers
}

// DefaultRequestTimeout is the request timeout when Options.RequestTimeout is 0.
const DefaultRequestTimeout = 10 * time.Second

// server holds the dependencies the handlers and middleware share.
type server struct {
	pbx       PBX
	blacklist Blacklist
	webKey    string
	loc       *time.Location
	now       func() time.Time
	log       *slog.Logger
	timeout   time.Duration
	version   string
	metrics   http.Handler
	push      Push
	storage   func(context.Context) error
	httpStats *httpMetrics

	metricsToken string
	metricsAllow []netip.Prefix
	wrapUps      WrapUps
	folder       *recordings.Folder
	links        *recordings.Links
	idem         *idempotencyStore
	stream       *stream.Stream
	tokens       streamTokens
	heartbeat    time.Duration
	clock        clock.Clock
	view         board.View // agent-status's and the board's rows
	bar          *Bar
}

// New returns the HTTP handler of the whole API: /coocenter-api/…, /healthz
// and, if Options.Metrics is set, /metrics. It panics if PBX or Blacklist is nil.
func New(opts Options) http.Handler {
	return newServer(opts).handler()
}

func newServer(opts Options) *server {
	if opts.PBX == nil || opts.Blacklist == nil {
		panic("httpapi.New: Options.PBX and Options.Blacklist are required")
	}
	s := &server{
		pbx:       opts.PBX,
		blacklist: opts.Blacklist,
		webKey:    opts.WebKey,
		loc:       opts.Location,
		now:       opts.Now,
		log:       opts.Logger,
		timeout:   opts.RequestTimeout,
		version:   opts.Version,
		metrics:   opts.Metrics,
		push:      opts.Push,
		storage:   opts.Storage,

		metricsToken: opts.MetricsToken,
		metricsAllow: opts.MetricsAllow,
		wrapUps:      opts.WrapUps,
		folder:       opts.Recordings,
		links:        opts.Links,
		stream:       opts.Stream,
		heartbeat:    opts.Heartbeat,
		clock:        opts.Clock,
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	if s.heartbeat <= 0 {
		s.heartbeat = DefaultHeartbeat
	}
	if s.clock == nil {
		s.clock = clock.Wall
	}
	s.view.Location = s.loc
	if opts.Bar != nil && opts.Stream != nil {
		s.bar = opts.Bar
		s.view = opts.Bar.View
		s.view.Location = s.loc
	}
	s.tokens = streamTokens{key: streamTokenKey(s.webKey), now: s.now}
	s.idem = newIdempotencyStore(s.now)
	if opts.Registerer != nil {
		s.httpStats = newHTTPMetrics(opts.Registerer)
	}
	return s
}

// handler builds the gin engine: release mode, no redirects, JSON 404/405,
// our own recovery and access log.
func (s *server) handler() http.Handler {
	gin.SetMode(gin.ReleaseMode) // atomic; silences gin's debug output
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.ForwardedByClientIP = false
	_ = r.SetTrustedProxies(nil) // never believe X-Forwarded-For; cannot fail for nil
	r.Use(s.recoverPanics, s.accessLog)
	if s.httpStats != nil {
		r.Use(s.httpStats.observe)
	}
	r.NoRoute(handleNoRoute)
	r.NoMethod(handleNoMethod)
	s.addRoutes(r)
	return r
}
