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
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/callid"
	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/recordings"
)

// serve runs the daemon's parts until ctx ends, then stops them in reverse
// order: HTTP first (no new commands), then the model, then AMI.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openDB(cfg.Storage.Dir)
	if err != nil {
		return err
	}
	defer db.Close()

	links := recordingLinks(cfg, log)
	push, err := pusher.Open(db, pushOptions(cfg, log, links))
	if err != nil {
		return fmt.Errorf("open push outbox: %w", err)
	}
	defer func() { // after the model: every event it emitted is on disk
		if err := push.Close(); err != nil {
			log.Error("push outbox not saved whole", "err", err)
		}
	}()

	// The pause timer commands the model, and the model feeds it events:
	// it gets the model once that exists (until then Asterisk is "not
	// connected", and the timer retries).
	late := &lateModel{}
	timer, err := pausetimer.Open(db, late, pausetimer.Options{
		Enabled:  cfg.Enable.PauseTime,
		After:    pausetimer.After(cfg.PauseTime.After),
		Length:   time.Duration(cfg.PauseTime.Seconds) * time.Second,
		Reason:   cfg.PauseTime.Reason,
		Logger:   log,
		OnRecord: push.HandleQueueCall,
		OnWrapUp: push.HandleWrapUp,
	})
	if err != nil {
		return fmt.Errorf("open after-call pause timers: %w", err)
	}
	defer timer.Close() // after the model, before the pusher

	ids, err := callid.Open(db, time.Now)
	if err != nil {
		return err
	}

	client := ami.Connect(ctx, amiConfig(cfg, log))
	defer client.Close()

	model := pbx.New(client, pbx.Options{
		OriginateContext: cfg.AMI.OriginateContext,
		ChannelTech:      cfg.AMI.ChannelTech,
		CallIDs:          ids,
		Logger:           log,
		OnEvent: func(e pbx.Event) {
			push.Handle(e)
			timer.Handle(e)
		},
	})
	defer model.Close()
	late.set(model)

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

	handler := httpapi.New(httpapi.Options{
		PBX:        model,
		Blacklist:  bl,
		WebKey:     cfg.General.WebKey,
		Logger:     log,
		Version:    version,
		Metrics:    metricsHandler(push),
		Push:       push,
		WrapUps:    timer,
		Recordings: recordings.NewFolder(cfg.Monitor.Dir),
		Links:      links,
	})
	return listenAndServe(ctx, cfg.HTTPAddr(), handler, log)
}

// lateModel is the PBX for the pause timer, which is opened before the
// model exists.
type lateModel struct{ p atomic.Pointer[pbx.PBX] }

func (l *lateModel) set(p *pbx.PBX) { l.p.Store(p) }

func (l *lateModel) PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error {
	p := l.p.Load()
	if p == nil {
		return pbx.ErrNotConnected
	}
	return p.PauseMember(ctx, queue, exten, paused, reason)
}

func (l *lateModel) Queues() []pbx.Queue {
	if p := l.p.Load(); p != nil {
		return p.Queues()
	}
	return nil
}

func (l *lateModel) Hints() []pbx.Hint {
	if p := l.p.Load(); p != nil {
		return p.Hints()
	}
	return nil
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

func metricsHandler(push *pusher.Pusher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		push.WriteMetrics(w)
	})
}

// listenAndServe serves HTTP until ctx ends, then shuts down gracefully.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("coocenter-api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("coocenterd stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
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
