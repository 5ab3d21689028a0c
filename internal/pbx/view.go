package pbx

import (
	"slices"
	"sort"
	"strings"
)

// Snapshot is the model as it stood after a batch of AMI events: shared
// by every reader and never changed. The model's goroutine builds the next
// one after a batch that changed something and swaps it in atomically, so
// readers take no lock and never hold up the events (one way: Asterisk →
// the model → its readers). Its slices are shared: read them, never
// change them.
type Snapshot struct {
	// Version grows with every change; an answer rendered from one
	// Snapshot stays right until the Version changes.
	Version uint64
	// Connected: Asterisk is connected and the model synced; a model of
	// a disconnected Asterisk is stale.
	Connected bool
	Channels  []*Channel // the live channels, oldest first
	Peers     []Peer     // SIP peers and PJSIP endpoints, by technology then name
	Hints     []Hint     // by extension; Name is the agent's queue member name
	Queues    []Queue    // by name, members in Asterisk's order

	synced bool           // the model was loaded from Asterisk at least once
	peerAt map[string]int // "TECH/name" → index in Peers
	legs   *legIndex      // each extension's leg (LegOf), found when first asked
}

// Sections of the model a change touched, so that publish rebuilds only
// what changed.
const (
	peersChanged uint8 = 1 << iota
	hintsChanged
	queuesChanged
	connectionChanged
)

// publisher builds the Snapshots from the model's working state; only the
// model's goroutine uses it.
type publisher struct {
	channels map[string]*Channel // the published copy of each live channel, by Uniqueid
	touched  map[string]bool     // channels that events named since the last publish
	all      bool                // every channel may have changed (a resync)
	changed  uint8               // sections changed since the last publish
}

// touch notes that channel id changed: the appliers call it (through
// known, or where they add, rename or forget a channel), and publish
// copies only the channels touched. TestSnapshotFollowsState holds every
// recorded stream to it.
func (pb *publisher) touch(id string) { pb.touched[id] = true }

// publish swaps in a new Snapshot if anything changed since the last one.
func (p *PBX) publish() {
	pb := &p.pub
	old := p.snap.Load()
	next := *old
	changed := pb.changed != 0
	if chans, ok := pb.channelsNow(p.st, old.Channels); ok {
		next.Channels, changed = chans, true
		next.legs = &legIndex{}
	}
	if !changed {
		return
	}
	if pb.changed&peersChanged != 0 {
		next.Peers, next.peerAt = sortedPeers(p.st.peers)
	}
	if pb.changed&queuesChanged != 0 {
		next.Queues = sortedQueues(p.st.queues)
	}
	if pb.changed&(hintsChanged|queuesChanged) != 0 {
		next.Hints = sortedHints(p.st.hints, next.Queues)
	}
	next.Connected, next.synced = p.connected, p.synced
	next.Version++
	pb.changed = 0
	p.snap.Store(&next)
	// After the Store: a reader woken by the close finds the new Snapshot.
	if p.changed.Load() != nil { // someone waits: nothing to do otherwise
		if ch := p.changed.Swap(nil); ch != nil {
			close(*ch)
		}
	}
}

// channelsNow returns the channels to publish, and false when they are
// those published. A channel that changed is copied anew; one that did
// not keeps its published copy.
func (pb *publisher) channelsNow(st *state, published []*Channel) ([]*Channel, bool) {
	if !pb.all && len(pb.touched) == 0 {
		return nil, false
	}
	check := pb.touched
	if pb.all {
		check = map[string]bool{}
		for id := range st.channels {
			check[id] = true
		}
		for id := range pb.channels {
			check[id] = true
		}
	}
	changed := false
	var placed []*Channel // channels new or whose start moved: to place in order
	for id := range check {
		c, live := st.channels[id]
		pub, was := pb.channels[id]
		switch {
		case !live && !was:
			continue
		case !live:
			delete(pb.channels, id)
		case was && *pub == *c:
			continue
		default:
			cp := *c
			pb.channels[id] = &cp
			if !was || !pub.Created.Equal(c.Created) {
				placed = append(placed, &cp)
			}
		}
		changed = true
	}
	clear(pb.touched)
	pb.all = false
	if !changed {
		return nil, false
	}
	// The published order, less the channels gone, the changed copies
	// swapped in, and the channels to place merged in: no sort of all the
	// channels at each change.
	slices.SortFunc(placed, compareChannels)
	out := make([]*Channel, 0, len(pb.channels))
	for _, c := range published {
		cur, live := pb.channels[c.Uniqueid]
		if !live || (cur != c && !cur.Created.Equal(c.Created)) {
			continue // gone, or placed anew
		}
		for len(placed) > 0 && compareChannels(placed[0], cur) < 0 {
			out = append(out, placed[0])
			placed = placed[1:]
		}
		out = append(out, cur)
	}
	return append(out, placed...), true
}

// compareChannels orders channels oldest first, then by Uniqueid.
func compareChannels(a, b *Channel) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.Uniqueid, b.Uniqueid)
}

func sortedPeers(peers map[string]*Peer) ([]Peer, map[string]int) {
	out := make([]Peer, 0, len(peers))
	for _, pe := range peers {
		out = append(out, *pe)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tech != out[j].Tech {
			return out[i].Tech > out[j].Tech // SIP before PJSIP, as the original listed chan_sip
		}
		return CompareNames(out[i].Name, out[j].Name) < 0
	})
	at := make(map[string]int, len(out))
	for i, pe := range out {
		at[string(pe.Tech)+"/"+pe.Name] = i
	}
	return out, at
}

func sortedQueues(queues map[string]*Queue) []Queue {
	out := make([]Queue, 0, len(queues))
	for _, q := range queues {
		out = append(out, Queue{Name: q.Name, Members: slices.Clone(q.Members), Waiting: slices.Clone(q.Waiting)})
	}
	sort.Slice(out, func(i, j int) bool { return CompareNames(out[i].Name, out[j].Name) < 0 })
	return out
}

// sortedHints names each hint after its extension's queue member name.
func sortedHints(hints map[string]*Hint, queues []Queue) []Hint {
	names := map[string]string{}
	for _, q := range queues {
		for _, m := range q.Members {
			if e := InterfaceExten(m.Interface); e != "" && m.Name != "" && m.Name != m.Interface {
				names[e] = m.Name
			}
		}
	}
	out := make([]Hint, 0, len(hints))
	for _, h := range hints {
		c := *h
		c.Name = names[h.Exten]
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := CompareNames(out[i].Exten, out[j].Exten); c != 0 {
			return c < 0
		}
		return out[i].Context < out[j].Context
	})
	return out
}

// peer returns the phone of key, "TECH/name".
func (s *Snapshot) peer(key string) (Peer, bool) {
	if i, ok := s.peerAt[key]; ok {
		return s.Peers[i], true
	}
	return Peer{}, false
}

// Snapshot returns the model as it stands: it takes no lock.
func (p *PBX) Snapshot() *Snapshot { return p.snap.Load() }

// Changed returns a channel that is closed the next time the model
// publishes a new Snapshot; every caller until then gets the same
// channel, and the next change makes a fresh one. Take it before the
// Snapshot, and no change goes unseen:
//
//	for {
//		changed := p.Changed()
//		snap := p.Snapshot()
//		// ... use snap ...
//		select {
//		case <-changed:
//		case <-ctx.Done():
//			return
//		}
//	}
//
// It may close for a Snapshot the reader already took (one published
// between Changed and Snapshot); Snapshot.Version tells. Nothing closes
// it once the model stops, so a reader also waits for its own end. The
// model never waits for readers, and makes no channel while none asks.
func (p *PBX) Changed() <-chan struct{} {
	for {
		if ch := p.changed.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if p.changed.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// Connected reports whether Asterisk is connected and the model synced.
func (p *PBX) Connected() bool { return p.snap.Load().Connected }

// Channels returns copies of the live channels, oldest first.
func (p *PBX) Channels() []Channel {
	chans := p.snap.Load().Channels
	out := make([]Channel, len(chans))
	for i, c := range chans {
		out[i] = *c
	}
	return out
}

// Peers returns the SIP peers and PJSIP endpoints, by technology then
// name. The slice is shared: do not change it.
func (p *PBX) Peers() []Peer { return p.snap.Load().Peers }

// Hints returns the hints, by extension; Name is the agent's queue member
// name when the extension is a queue member. The slice is shared: do not
// change it.
func (p *PBX) Hints() []Hint { return p.snap.Load().Hints }

// Queues returns the queues by name with their members in Asterisk's
// order. The slices are shared: do not change them.
func (p *PBX) Queues() []Queue { return p.snap.Load().Queues }
