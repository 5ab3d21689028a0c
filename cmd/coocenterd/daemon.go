package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.etcd.io/bbolt"
	"golang.org/x/sync/singleflight"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/callid"
	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/recordings"
	"github.com/coocenter/coocenterd/internal/sdnotify"
	"github.com/coocenter/coocenterd/internal/stream"
)

// serve runs the daemon's parts until ctx ends, then stops them in reverse
// order: HTTP first (no new commands), then the model, then AMI.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openDB(cfg.Storage.Dir)
	if err != nil {
		return err
	}
	defer db.Close()

	// The live event stream, fed by the pusher as it appends to the
	// outbox. Closed when ctx ends, first: its clients' requests end, so
	// that the HTTP shutdown does not wait for them.
	events := stream.New(stream.Options{Window: cfg.Stream.Window, MaxEvents: cfg.Stream.WindowEvents})
	defer events.Close()
	defer context.AfterFunc(ctx, events.Close)()

	links := recordingLinks(cfg, log)
	pushOpts := pushOptions(cfg, log, links)
	// The board sends the rows of agents and queues that change into the
	// stream (§8.1); a push may be a change the model does not hold (the
	// after-call pauses), so each one pokes it.
	var brd *board.Publisher
	pushOpts.OnAppend = func(ev pusher.Event) {
		events.Publish(stream.Event{ID: ev.ID, Name: ev.Name, Body: ev.Body})
		brd.Poke()
	}
	push, err := pusher.Open(db, pushOpts)
	if err != nil {
		return fmt.Errorf("open push outbox: %w", err)
	}
	defer func() { // after the model: every event it emitted is on disk
		if err := push.Close(); err != nil {
			log.Error("push outbox not saved whole", "err", err)
		}
	}()

	ids, err := callid.Open(db, time.Now)
	if err != nil {
		return err
	}

	client := ami.Connect(ctx, amiConfig(cfg, log))
	// The model is built first and started last: the pause timer commands
	// it, and both consumers subscribe before it emits anything.
	model := pbx.New(client, pbx.Options{
		OriginateContext: cfg.AMI.OriginateContext,
		ChannelTech:      cfg.AMI.ChannelTech,
		CallIDs:          ids,
		Logger:           log,
	})
	timer, err := pausetimer.Open(db, model, pausetimer.Options{
		Enabled:  cfg.Enable.PauseTime,
		After:    pausetimer.After(cfg.PauseTime.After),
		Length:   time.Duration(cfg.PauseTime.Seconds) * time.Second,
		Reason:   cfg.PauseTime.Reason,
		Logger:   log,
		OnRecord: push.HandleQueueCall,
		OnWrapUp: push.HandleWrapUp,
	})
	if err != nil {
		client.Close()
		return fmt.Errorf("open after-call pause timers: %w", err)
	}
	// Stopped after the model and AMI: the timer's last PauseMember calls
	// then fail at once (redone after the next Open), and before the pusher.
	defer timer.Close()
	defer client.Close()
	view := board.View{Location: time.Local, PopURL: cfg.General.PopURL, SLA: cfg.Bar.SLA}
	tally, err := board.OpenTally(db, view, time.Now, log)
	if err != nil {
		client.Close()
		timer.Close()
		return err
	}
	defer tally.Close() // after the model's Close: it writes the last counts
	brd = board.NewPublisher(view, board.Sources{Model: model, WrapUps: timer.Active, Tally: tally}, events, clock.Wall)
	model.Subscribe(push.Handle)
	model.Subscribe(timer.Handle)
	model.Subscribe(tally.Handle)
	model.Start(ctx)
	defer model.Close()

	bl, err := blacklist.Open(db, cfg.Blacklist.Family, pbx.AstDB{P: model}, blacklist.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("open blacklist: %w", err)
	}
	defer bl.Close()
	// The blacklist's goroutines end before it closes, also when the
	// listener fails and ctx is still live.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = bl.Run(ctx) }) // retries the AstDB mirror, lifts expired entries
	wg.Go(func() { reconcileOnConnect(ctx, client, bl, log) })
	wg.Go(func() { brd.Run(ctx) })

	reg := newRegistry(append([]prometheus.Collector{client, push, timer}, streamMetrics(events)...)...)
	handler := httpapi.New(httpapi.Options{
		PBX:          model,
		Blacklist:    bl,
		WebKey:       cfg.General.WebKey,
		Logger:       log,
		Version:      version,
		Metrics:      promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}),
		MetricsToken: cfg.Metrics.Token,
		MetricsAllow: cfg.Metrics.Allow,
		Registerer:   reg,
		Storage:      storageCheck(db, push),
		Push:         push,
		WrapUps:      timer,
		Recordings:   recordings.NewFolder(cfg.Monitor.Dir),
		Links:        links,
		Stream:       events,
		Bar:          &httpapi.Bar{View: view, Tally: tally, PauseReasons: cfg.Bar.PauseReasons},
	})
	return listenAndServe(ctx, cfg.HTTPAddr(), handler, log)
}

// pushOptions configures the pusher; links sign the recording links that
// cdr and cc_cdr carry when [monitor] link_base is set.
func pushOptions(cfg *config.Config, log *slog.Logger, links *recordings.Links) pusher.Options {
	if len(cfg.General.URLs) == 0 {
		log.Info("no push URL configured: events are not pushed")
	}
	return pusher.Options{
		URLs: cfg.General.URLs,
		Translator: pusher.Translator{MAC: cfg.General.MAC, LegacyDialBegin: cfg.Push.LegacyDialBegin,
			RecordingURL: recordingURL(cfg.Monitor, links, time.Now)},
		Secrets:     pushSecrets(cfg),
		InFlight:    cfg.Push.InFlight,
		Timeout:     cfg.Push.Timeout,
		MaxAge:      cfg.Push.MaxAge,
		MaxInterval: cfg.Push.MaxInterval,
		UserAgent:   "coocenterd/" + version,
		Logger:      log,
	}
}

// pushSecrets are the signing keys: [push] secrets, else one derived from
// WEBKEY, else none (pushes go unsigned).
func pushSecrets(cfg *config.Config) []pusher.Secret {
	var out []pusher.Secret
	for _, s := range cfg.Push.Secrets {
		if k, err := pusher.ParseSecret(s); err == nil { // config has checked them
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		if k := pusher.DefaultSecret(cfg.General.WebKey); k != nil {
			out = append(out, k)
		}
	}
	return out
}

// newRegistry gathers the metrics /metrics serves: the daemon's parts',
// its build, and the Go runtime's and the process's.
func newRegistry(parts ...prometheus.Collector) *prometheus.Registry {
	rev := commit()
	if rev == "" {
		rev = "unknown" // as -version says
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "coocenter_build_info",
		Help:        "Always 1; the labels say which coocenterd runs.",
		ConstLabels: prometheus.Labels{"version": version, "commit": rev, "goversion": runtime.Version()},
	}, func() float64 { return 1 }))
	reg.MustRegister(parts...)
	return reg
}

// streamMetrics are the live stream's (api.md §6.3): its clients, those
// dropped for not reading, and the window's events.
func streamMetrics(s *stream.Stream) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "coocenter_stream_clients",
			Help: "Clients on the live event stream, the bars and walls among them."},
			func() float64 { return float64(s.Subscribers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "coocenter_stream_dropped_total",
			Help: "Stream clients dropped because they did not keep up."},
			func() float64 { return float64(s.Dropped()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "coocenter_stream_window_events",
			Help: "Events the stream keeps for clients that reconnect."},
			func() float64 { return float64(s.Len()) }),
	}
}

// storageCheck is /readyz's: the push outbox writes, and a small write to
// the database goes through. A stalled disk fails it by ctx's deadline;
// probes meanwhile share the one write still waiting, not pile up.
func storageCheck(db *bbolt.DB, push *pusher.Pusher) func(context.Context) error {
	var writes singleflight.Group
	return func(ctx context.Context) error {
		if err := push.StorageErr(); err != nil {
			return err
		}
		done := writes.DoChan("health", func() (any, error) {
			return nil, db.Update(func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("health"))
				if err != nil {
					return err
				}
				return b.Put([]byte("checked"), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
			})
		})
		select {
		case r := <-done:
			return r.Err
		case <-ctx.Done():
			return errors.New("the database did not answer in time")
		}
	}
}

// listenAndServe serves HTTP until ctx ends, then shuts down gracefully.
// Under systemd it says READY=1 once the API listens (Asterisk may still be
// away: the API answers 503 for it meanwhile), and keeps the watchdog fed
// while the API answers its own /healthz.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("coocenter-api listening", "addr", ln.Addr().String())
	if err := sdnotify.Ready(); err != nil {
		log.Warn("could not tell systemd the service is ready", "err", err)
	}
	wctx, stopWatchdog := context.WithCancel(ctx)
	defer stopWatchdog()
	go feedWatchdog(wctx, ln.Addr(), log)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("coocenterd stopping")
	_ = sdnotify.Stopping()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// feedWatchdog sends WATCHDOG=1 at half of WatchdogSec while the API
// answers GET /healthz on its own address; when it stops answering,
// systemd restarts the service. Without a watchdog it returns at once.
func feedWatchdog(ctx context.Context, addr net.Addr, log *slog.Logger) {
	every := sdnotify.WatchdogInterval() / 2
	if every <= 0 {
		return
	}
	url := "http://" + selfAddr(addr) + "/healthz"
	client := &http.Client{Timeout: every / 2, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				_ = sdnotify.Watchdog()
			} else {
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
		}
		if err != nil {
			log.Warn("the API did not answer its health check; the watchdog is not fed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// selfAddr is how this process reaches a listener of its own: loopback for
// one on every interface.
func selfAddr(addr net.Addr) string {
	a, ok := addr.(*net.TCPAddr)
	if !ok || !a.IP.IsUnspecified() {
		return addr.String()
	}
	if a.IP.To4() == nil {
		return net.JoinHostPort("::1", strconv.Itoa(a.Port))
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
}

func openDB(dir string) (*bbolt.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage dir: %w", err)
	}
	path := filepath.Join(dir, "coocenterd.db")
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (is another coocenterd running?)", path, err)
	}
	return db, nil
}

// reconcileOnConnect mirrors the blacklist into AstDB on every (re)connect.
func reconcileOnConnect(ctx context.Context, c *ami.Client, bl *blacklist.Store, log *slog.Logger) {
	sub := c.Subscribe(64)
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if e.Kind != ami.Connected {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, time.Minute)
			if err := bl.Reconcile(rctx); err != nil {
				log.Warn("blacklist reconcile failed; retried on next connect", "err", err)
			}
			cancel()
		}
	}
}
