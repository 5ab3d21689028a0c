package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// The call bar and the wall in a real browser (api.md §8): Debian's
// chromium, headless, driven over the DevTools protocol by chromedp,
// against the whole daemon on the bed's PBX. The screenshots go to
// test/output/browser/ (COOCENTER_TEST_OUTPUT to move it), to be looked at.

const browserWebKey = "browser-test-key"

// chromiumPath finds the browser; without one the tests are skipped,
// except in CI, whose .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: apt-get install chromium to run the browser tests")
	return ""
}

// screenshotDir is where the screenshots go.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("COOCENTER_TEST_OUTPUT")
	if dir == "" {
		dir = filepath.Join("..", "..", "test", "output")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// browser starts a headless chromium of w×h for the test.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.WindowSize(w, h), chromedp.UserDataDir(t.TempDir()), chromedp.DisableGPU)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // CI runs as root, where chromium's sandbox cannot start
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start it now, without a deadline: a failure to start is its own error
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// act runs browser actions, each step bounded.
func act(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		t.Fatalf("%s: %v\nthe page says: %s", what, err, pageText(ctx))
	}
}

// pageText is what the page shows, for a failure's message.
func pageText(ctx context.Context) string {
	step, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(step, chromedp.Evaluate[string](`document.body.innerText.replace(/\s+/g, " ").slice(0, 600)`))
	if err != nil {
		return err.Error()
	}
	return s
}

// value runs one browser action that returns a value, bounded.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(step, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shoot saves a screenshot of the page as name.png and logs its path.
func shoot(t *testing.T, ctx context.Context, dir, name string) string {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// dayToken is the Authorization of §2.1 for the day of now.
func dayToken(key string, now time.Time) string {
	sum := md5.Sum([]byte(key + now.Format(time.DateOnly)))
	return hex.EncodeToString(sum[:])
}

// link asks the daemon for a page's signed link, as a business system does.
func (d *daemon) link(t *testing.T, form string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.base+"/coocenter-api/bar/link", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", dayToken(browserWebKey, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Status string
		Data   struct{ URL string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Status != "success" {
		t.Fatalf("bar/link %s: %d %v", form, resp.StatusCode, err)
	}
	return d.base + env.Data.URL
}

// member is ext's membership of queue in the bed's own model: the PBX's.
func member(d *daemon, queue, iface string) (pbx.Member, bool) {
	for _, q := range d.Model.Snapshot().Queues {
		if q.Name == queue {
			if i := slices.IndexFunc(q.Members, func(m pbx.Member) bool { return m.Interface == iface }); i >= 0 {
				return q.Members[i], true
			}
		}
	}
	return pbx.Member{}, false
}

// stateIs waits until the bar's state chip says state.
func stateIs(state string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`#state[data-state="` + state + `"]`))
}

// TestBrowserCallBarAndWall: an agent's bar, opened by its signed link,
// rings with a queue call and opens pop_url with the caller's number; its
// Hold puts the call on hold and its Pause pauses the queue member in the
// PBX; the wall shows the next caller waiting, listens to 804 from the
// supervisor's phone and hangs 804's call up, and once the waiting caller
// has hung up too, today's counts: one answered, one abandoned. Then the
// bar on a phone-sized screen, in Chinese.
func TestBrowserCallBarAndWall(t *testing.T) {
	ctx := browser(t, 1280, 800)
	dir := screenshotDir(t)

	pops := make(chan url.Values, 4)
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pop" {
			pops <- r.URL.Query()
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>CRM</title><p>customer"))
	}))
	defer crm.Close()

	d := startDaemon(t, []string{"804", "805"}, func(cfg *config.Config) {
		cfg.General.WebKey = browserWebKey
		cfg.General.PopURL = crm.URL + "/pop?caller={caller}&queue={queue}&uniqueid={uniqueid}"
		cfg.General.URLs = nil
	})
	defer d.Stop(t)
	agent := d.Device("804") // SIP/804 on pbxsim and Asterisk 20, PJSIP/804 on 22
	// A real Asterisk keeps a pause: the test leaves 804 as it found it, unpaused.
	unpause := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Model.PauseMember(ctx, "", "804", false, ""); err != nil {
			t.Errorf("unpause 804: %v", err)
		}
	}
	unpause()
	defer unpause()

	// The bar of 804, by its link.
	act(t, ctx, "open the bar", chromedp.Navigate(d.link(t, "extension=804")), stateIs("idle"))

	// A caller reaches queue 632: 804 rings, the bar pops the CRM.
	caller, err := d.Stage().InboundCall("0501234567", "632")
	if err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "the bar rings", stateIs("ringing"), chromedp.WaitVisible(chromedp.CSS(`#call-peer`)))
	peer := value(t, ctx, "the caller's number", chromedp.Text(chromedp.ID("call-peer")))
	if !strings.Contains(peer, "0501234567") {
		t.Errorf("the ringing bar shows %q, want the caller 0501234567", peer)
	}
	select {
	case q := <-pops:
		if q.Get("caller") != "0501234567" || q.Get("queue") != "632" || q.Get("uniqueid") == "" {
			t.Errorf("pop_url opened with %v", q)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the screen pop did not open pop_url")
	}
	shoot(t, ctx, dir, "bar-ringing")

	d.answerRinging(t, "804")
	act(t, ctx, "the bar talks", stateIs("talking"))

	// Hold, by keyboard (focus, Enter): the agent's leg is held in the PBX,
	// and the bar says so.
	act(t, ctx, "hold", chromedp.Focus(chromedp.ID("btn-hold")), chromedp.KeyEvent("\r"),
		stateIs("held"), chromedp.WaitVisible(chromedp.CSS(`#btn-unhold`)))
	testkit.Eventually(t, "804's call held in the PBX", 10*time.Second, func() bool {
		legs := d.PhoneChannels("804")
		return len(legs) == 1 && legs[0].Held
	})
	// A command the server refuses: the bar shows its sentence (409).
	act(t, ctx, "complete a consult there is not", chromedp.Click(chromedp.ID("btn-consult-transfer")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#message").textContent.includes("extension 804 is not consulting anyone")`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))

	// Pause, with a reason from the menu: the member is paused in the PBX.
	act(t, ctx, "pause for lunch", chromedp.Click(chromedp.ID("btn-pause")),
		chromedp.WaitVisible(chromedp.CSS(`[data-reason="lunch"]`)), chromedp.Click(chromedp.CSS(`[data-reason="lunch"]`)))
	testkit.Eventually(t, agent+" paused for lunch in 632", 10*time.Second, func() bool {
		m, ok := member(d, "632", agent)
		return ok && m.Paused && m.PausedReason == "lunch"
	})
	act(t, ctx, "the bar shows the pause", chromedp.WaitVisible(chromedp.CSS(`#btn-unpause`)))
	shoot(t, ctx, dir, "bar-held-paused")

	// The wall: 804 is paused and on a call, so the next caller waits.
	act(t, ctx, "open the wall", chromedp.Navigate(d.link(t, "page=wall&extension=805")),
		chromedp.WaitVisible(chromedp.CSS(`.queue[data-queue="632"]`)))
	waiting, err := d.Stage().InboundCall("0509876543", "632")
	if err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "the wall shows the waiting caller", chromedp.WaitVisible(chromedp.CSS(`.queue[data-queue="632"] .waiting-caller[data-number="0509876543"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.agent[data-extension="804"][data-state="held"]`)))
	shoot(t, ctx, dir, "wall")

	// Listen from the wall: the supervisor's own phone, 805, rings with the
	// spy call. Then the wall's Hang up ends 804's call.
	act(t, ctx, "listen to 804", chromedp.Click(chromedp.CSS(`.agent[data-extension="804"] [data-action="listen"]`)))
	testkit.Eventually(t, "805 rung to listen to 804", 10*time.Second, func() bool { return len(d.PhoneChannels("805")) > 0 })
	for _, c := range d.PhoneChannels("805") {
		_ = d.Stage().Hangup(c.Name, 16)
	}
	act(t, ctx, "hang up 804's call", chromedp.Click(chromedp.CSS(`.agent[data-extension="804"] [data-action="hangup"]`)))
	testkit.Eventually(t, "804's call hung up from the wall", 10*time.Second, func() bool { return len(d.PhoneChannels("804")) == 0 })

	for _, ch := range []string{waiting, caller} {
		_ = d.Stage().Hangup(ch, 16) // the caller's is gone already
	}
	act(t, ctx, "the waiting caller leaves the wall", chromedp.WaitNotPresent(chromedp.CSS(`.waiting-caller[data-number="0509876543"]`)))
	// Today's counts: the first caller was answered, the second gave up waiting.
	act(t, ctx, "today's counts of 632", chromedp.Poll[chromedp.Void](
		`document.querySelector('.queue[data-queue="632"] .k-ans .kv').textContent === "1" && `+
			`document.querySelector('.queue[data-queue="632"] .k-ab .kv').textContent === "1"`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(14*time.Second)))
	shoot(t, ctx, dir, "wall-after")

	// The bar on a phone, in Chinese: 804 is paused for lunch (午餐).
	link := d.link(t, "extension=804") + "&lang=zh"
	act(t, ctx, "the bar on a phone, in Chinese", chromedp.EmulateViewport(360, 740), chromedp.Navigate(link), stateIs("paused"),
		chromedp.Poll[chromedp.Void](`document.documentElement.lang === "zh-CN" && document.querySelector("#state").innerText.includes("午餐")`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	shoot(t, ctx, dir, "bar-phone-zh")
}
