package pbxsim

// The channels of the phones: chan_sip (SIP/80x) and chan_pjsip (PJSIP/90x).

// newPhoneChannel creates the channel of a dialled phone (state Down), with
// uniqueid id ("" = generated) and linkedid from requestor. Whoever dials it
// copies the requestor's inherited variables (inheritVars) where its
// application does.
func (s *Server) newPhoneChannel(d *device, requestor *channel, id string) *channel {
	ch := s.newChannel(d.id()+"-"+s.nextSuffix(), stateDown, "internal", "s", requestor, id)
	ch.dev = d
	ch.cidNum, ch.cidName = d.name, d.callerName
	ch.dialed = true
	s.newchannelEvent(ch)
	s.sipCallIDVar(ch)
	s.deviceChanged(d)
	return ch
}

// sipCallIDVar is the SIPCALLID variable chan_sip's sip_new sets on every
// channel it creates, right after Newchannel (ami-06, ami-11, ami-12).
func (s *Server) sipCallIDVar(ch *channel) {
	if ch.dev != nil && ch.dev.tech == "SIP" {
		s.setVar(ch, "SIPCALLID", sipCallID(ch))
	}
}

// sipCallID is the SIP Call-ID of a chan_sip channel: its SIPCALLID and
// what its bridge peer gets as BRIDGEPVTCALLID ("" for other channels,
// whose drivers have no private call id).
func sipCallID(ch *channel) string {
	if ch.dev == nil || ch.dev.tech != "SIP" {
		return ""
	}
	return ch.uniqueid + "@127.0.0.1:5060"
}

// ringPhone makes a dialled phone ring; it answers by itself after its
// AutoAnswer delay, or when the test calls Answer.
func (s *Server) ringPhone(ch *channel) {
	s.setState(ch, stateRinging)
	if d := s.autoAnswerOf(ch.dev); d > 0 {
		s.later(ch, d, func() { s.answerPhone(ch) })
	}
}

// answerPhone is the phone picking up.
func (s *Server) answerPhone(ch *channel) {
	if ch.state == stateUp {
		return
	}
	s.setState(ch, stateUp)
	s.onProgress(ch, progAnswer)
}

// rtpStats are the RTP statistics chan_sip sets when a call's media
// stops, as name, value pairs in its order.
var rtpStats = []string{
	"RTPAUDIOQOS", "ssrc=0;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000",
	"RTPAUDIOQOSJITTER", "minrxjitter=0.000000;maxrxjitter=0.000000",
	"RTPAUDIOQOSLOSS", "minrxlost=0.000000;maxrxlost=0.000000",
	"RTPAUDIOQOSRTT", "minrtt=0.000000;maxrtt=0.000000",
	"RTPAUDIOQOSMES", "minrxmes=0.000000;maxrxmes=0.000000",
}

// rtpStage is how far chan_sip got with a channel's RTP statistics.
type rtpStage int

const (
	rtpLive    rtpStage = iota // media flowing: all statistics follow at hangup
	rtpPeerBye                 // set by the bridge peer's BYE: RTPAUDIOQOS once more at hangup
	rtpBye                     // set by its own BYE: nothing more
)

// rtpQoSVars are the variables chan_sip sets on a channel that hangs up:
// the five RTP statistics when the call's media stops, RTPAUDIOQOS again
// as the channel goes (ami-06, ami-11); after a BYE set them, only what is
// left (see sipBye).
func (s *Server) rtpQoSVars(ch *channel) {
	if ch.dev == nil || ch.dev.tech != "SIP" {
		return
	}
	switch ch.rtp {
	case rtpLive:
		s.setVars(ch, rtpStats...)
		s.setVars(ch, rtpStats[:2]...)
	case rtpPeerBye:
		s.setVars(ch, rtpStats[:2]...)
	}
	ch.rtp = rtpBye
}

// sipBye is a chan_sip phone hanging up a bridged call (BYE): the RTP
// statistics go on its channel and, as RTPAUDIOQOS*BRIDGED, on the bridge
// peers, before the HangupRequest, and not again as the channel goes
// (ami-13, lines 3550-3768: SIP/804 hangs up the queue call). A bridged SIP
// peer gets its own statistics too, and gives them to ch as *BRIDGED; it
// sets RTPAUDIOQOS once more as it goes (ami-14: 801 hangs up on 802). It
// reports false, doing nothing, for any other channel. The caller leaves
// the bridge and destroys ch afterwards.
func (s *Server) sipBye(ch *channel, cause int) bool {
	if ch.dev == nil || ch.dev.tech != "SIP" || ch.bridge == nil {
		return false
	}
	s.rtpStatsOf(ch)
	ch.rtp = rtpBye
	for _, p := range ch.bridge.members {
		if p != ch && !p.gone && p.dev != nil && p.dev.tech == "SIP" && p.rtp == rtpLive {
			s.rtpStatsOf(p)
			p.rtp = rtpPeerBye
		}
	}
	s.hangupRequested(ch, cause)
	return true
}

// rtpStatsOf sets ch's RTP statistics on ch and, as *BRIDGED, on its
// bridge peers.
func (s *Server) rtpStatsOf(ch *channel) {
	for i := 0; i < len(rtpStats); i += 2 {
		s.setVar(ch, rtpStats[i], rtpStats[i+1])
		for _, p := range ch.bridge.members {
			if p != ch && !p.gone {
				s.setVar(p, rtpStats[i]+"BRIDGED", rtpStats[i+1])
			}
		}
	}
}
