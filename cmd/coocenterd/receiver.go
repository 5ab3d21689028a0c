package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coocenter/coocenterd/internal/pusher"
)

// runReceiver is `coocenterd -receiver ADDR`: a push receiver for trying
// the box out. It answers every POST with 200 and prints one line per push:
// the time, the webhook-id, whether the signature verified, and the body.
// GET /pop stands in for a CRM's screen-pop page (the demo's pop_url).
func runReceiver(ctx context.Context, addr, secretList string, stdout, stderr io.Writer) error {
	var secrets []pusher.Secret
	for s := range strings.FieldsSeq(secretList) {
		k, err := pusher.ParseSecret(s)
		if err != nil {
			return fmt.Errorf("-secret: %w", err)
		}
		secrets = append(secrets, k)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	var mu sync.Mutex // one line at a time
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/pop" {
			screenPop(w, r, stdout, &mu) // the demo's pop_url: a stand-in CRM page
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "POST push events here", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		sig := "unsigned"
		switch {
		case len(secrets) > 0:
			if err := pusher.Verify(secrets, r.Header, body, time.Now(), 5*time.Minute); err != nil {
				sig = "BAD SIGNATURE (" + err.Error() + ")"
			} else {
				sig = "signed"
			}
		case r.Header.Get("webhook-signature") != "":
			sig = "signed (not checked: no -secret)"
		}
		mu.Lock()
		fmt.Fprintf(stdout, "%s %s %s %s\n", time.Now().Format("15:04:05.000"), r.Header.Get("webhook-id"), sig, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})}
	fmt.Fprintf(stderr, "receiving pushes on http://%s/ (Ctrl-C stops)\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close() // a sender's connection that never sent a request keeps Shutdown waiting
	}
	return nil
}

// screenPop answers the demo's pop_url, as a CRM would open the caller's
// record, and prints one line per pop.
func screenPop(w http.ResponseWriter, r *http.Request, stdout io.Writer, mu *sync.Mutex) {
	q := r.URL.Query()
	mu.Lock()
	fmt.Fprintf(stdout, "%s screen pop: caller=%q queue=%q uniqueid=%q userData=%q\n", time.Now().Format("15:04:05.000"),
		q.Get("caller"), q.Get("queue"), q.Get("uniqueid"), q.Get("userData"))
	mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>Caller %[1]s</title>"+
		"<h1>Caller %[1]s</h1><p>queue %[2]s · call %[3]s</p><p>%[4]s</p><p><small>coocenterd demo: your CRM's page opens here (api.conf pop_url)</small></p>",
		html.EscapeString(q.Get("caller")), html.EscapeString(q.Get("queue")), html.EscapeString(q.Get("uniqueid")), html.EscapeString(q.Get("userData")))
}
