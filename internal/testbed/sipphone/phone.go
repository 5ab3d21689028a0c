package sipphone

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Config of one phone.
type Config struct {
	Ext      string        // user and auth name, e.g. "804"
	Password string        // digest password
	PBX      string        // "127.0.0.1:5060" (chan_sip) or "127.0.0.1:5160" (pjsip)
	Local    string        // "127.0.0.1:5074": UDP address the phone binds; "" = 127.0.0.1, any port
	Expires  time.Duration // REGISTER expiry, whole seconds; under 1 s = 120 s
	// AutoAnswer: how long an incoming call rings before the phone answers it;
	// 0 = it rings until Answer (or until the caller cancels).
	AutoAnswer time.Duration
	// Logf, if set, receives every message sent and received, for
	// following a scenario (t.Logf fits).
	Logf func(format string, args ...any)
}

// Phone is one registered SIP phone. Its methods are safe for concurrent use.
type Phone struct {
	cfg     Config
	conn    *net.UDPConn
	rtp     *net.UDPConn // bound so that RTP Asterisk sends finds a port; never read
	rtpAddr *net.UDPAddr
	pbx     *net.UDPAddr
	pbxHost string // host part of cfg.PBX, the domain in our URIs
	local   string // host:port in Via and Contact
	done    chan struct{}
	wg      sync.WaitGroup // the reader, re-registration and retransmitting goroutines
	regMu   sync.Mutex     // one REGISTER at a time: they share Call-ID and CSeq

	mu         sync.Mutex
	txs        map[string]chan *message // client transactions by branch and method
	calls      []*Call                  // oldest first, ended ones kept to answer late retransmissions
	changed    chan struct{}            // closed and replaced whenever a call changes
	autoAnswer time.Duration
	regCallID  string
	regTag     string
	regSeq     int
	closing    bool
}

// Register binds the phone's UDP address, registers it with the PBX and
// keeps it registered until Close.
func Register(ctx context.Context, cfg Config) (*Phone, error) {
	if cfg.Ext == "" || cfg.PBX == "" {
		return nil, fmt.Errorf("sipphone: Config needs Ext and PBX")
	}
	if cfg.Expires < time.Second {
		cfg.Expires = 120 * time.Second
	}
	if cfg.Local == "" {
		cfg.Local = "127.0.0.1:0"
	}
	p := &Phone{cfg: cfg, done: make(chan struct{}), txs: map[string]chan *message{},
		changed: make(chan struct{}), autoAnswer: cfg.AutoAnswer, regCallID: newID(), regTag: newID()}
	var err error
	if p.pbx, err = net.ResolveUDPAddr("udp", cfg.PBX); err != nil {
		return nil, p.errorf("PBX address: %w", err)
	}
	p.pbxHost = p.pbx.IP.String()
	laddr, err := net.ResolveUDPAddr("udp", cfg.Local)
	if err != nil || laddr.IP.To4() == nil || laddr.IP.IsUnspecified() {
		// Via, Contact and SDP carry this address: the PBX must reach it.
		return nil, p.errorf("Local %q: want an IPv4 address and port, like 127.0.0.1:5071", cfg.Local)
	}
	if p.conn, err = net.ListenUDP("udp", laddr); err != nil {
		return nil, p.errorf("%w", err)
	}
	if p.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: laddr.IP}); err != nil {
		p.conn.Close()
		return nil, p.errorf("%w", err)
	}
	p.local = p.conn.LocalAddr().String()
	p.rtpAddr = p.rtp.LocalAddr().(*net.UDPAddr)
	p.wg.Go(p.read)

	granted, err := p.register(ctx, cfg.Expires)
	if err != nil {
		p.shutdown()
		return nil, err
	}
	p.wg.Go(func() { p.keepRegistered(granted) })
	return p, nil
}

// register sends REGISTER with the given expiry (0 unregisters) and
// returns the expiry the registrar granted.
func (p *Phone) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	secs := strconv.Itoa(int(expires / time.Second))
	contact := "<sip:" + p.cfg.Ext + "@" + p.local + ">"
	if expires == 0 {
		contact += ";expires=0"
	}
	resp, err := p.request(ctx, p.pbx, func() *message {
		p.mu.Lock()
		p.regSeq++
		seq := p.regSeq
		p.mu.Unlock()
		m := p.newRequest("REGISTER", "sip:"+p.cfg.PBX, seq, p.regCallID)
		m.add("From", "<sip:"+p.cfg.Ext+"@"+p.pbxHost+">;tag="+p.regTag)
		m.add("To", "<sip:"+p.cfg.Ext+"@"+p.pbxHost+">")
		m.add("Contact", contact)
		m.add("Expires", secs)
		return m
	}, nil)
	if err != nil {
		return 0, p.errorf("REGISTER: %w", err)
	}
	if resp.status >= 300 {
		return 0, p.statusError("REGISTER", resp)
	}
	granted := param(resp.get("Contact"), "expires")
	if granted == "" {
		granted = resp.get("Expires")
	}
	if n, err := strconv.Atoi(granted); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	return expires, nil
}

// keepRegistered renews the registration halfway through each expiry, and
// retries every few seconds while the registrar does not answer.
func (p *Phone) keepRegistered(expires time.Duration) {
	wait := expires / 2
	for {
		timer := time.NewTimer(wait)
		select {
		case <-p.done:
			timer.Stop()
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), giveUp)
		granted, err := p.register(ctx, p.cfg.Expires)
		cancel()
		wait = granted / 2
		if err != nil {
			wait = giveUp
			if p.cfg.Logf != nil {
				p.cfg.Logf("%v", err)
			}
		}
	}
}

// SetAutoAnswer sets how long later incoming calls ring before the phone
// answers them; 0 leaves them ringing until Answer.
func (p *Phone) SetAutoAnswer(d time.Duration) {
	p.mu.Lock()
	p.autoAnswer = d
	p.mu.Unlock()
}

// Ringing returns the oldest incoming call still ringing, waiting for one
// if there is none.
func (p *Phone) Ringing(ctx context.Context) (*Call, error) {
	var ringing *Call
	err := p.await(ctx, func() bool {
		for _, c := range p.calls {
			if c.incoming && c.state == Ringing {
				ringing = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, p.errorf("no call ringing: %w", err)
	}
	return ringing, nil
}

// Active returns the newest call not ended, nil if there is none.
func (p *Phone) Active() *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.calls) - 1; i >= 0; i-- {
		if p.calls[i].state != Ended {
			return p.calls[i]
		}
	}
	return nil
}

// Close hangs up every call still up, unregisters, and stops the phone's
// goroutines. The error is that of unregistering.
func (p *Phone) Close() error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil
	}
	p.closing = true
	var live []*Call
	for _, c := range p.calls {
		if c.state != Ended {
			live = append(live, c)
		}
	}
	p.mu.Unlock()
	for _, c := range live {
		_ = c.Hangup()
	}
	ctx, cancel := context.WithTimeout(context.Background(), unregisterBy)
	defer cancel()
	_, err := p.register(ctx, 0)
	p.shutdown()
	return err
}

// shutdown stops retransmissions and the reader, and waits for them.
func (p *Phone) shutdown() {
	close(p.done)
	p.conn.Close()
	p.rtp.Close()
	p.wg.Wait()
}

// await waits until cond, called with p.mu held, is true.
func (p *Phone) await(ctx context.Context, cond func() bool) error {
	for {
		p.mu.Lock()
		ok, changed := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return errClosed
		}
	}
}

// notify wakes every await; p.mu must be held.
func (p *Phone) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Phone) errorf(format string, args ...any) error {
	return fmt.Errorf("sipphone %s: "+format, append([]any{p.cfg.Ext}, args...)...)
}

// statusError reports a final response that is not the one we hoped for.
func (p *Phone) statusError(what string, resp *message) error {
	return p.errorf("%s: %d %s", what, resp.status, resp.reason)
}
