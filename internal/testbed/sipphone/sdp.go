package sipphone

import (
	"fmt"
	"strings"
)

// sdp is the session description of a call: PCMU and telephone-event on
// the phone's RTP port, in the given direction (sendrecv, sendonly, ...).
// Asterisk only needs a valid offer or answer; no media flows.
func (c *Call) sdp(direction string) []byte {
	ip, port := c.p.rtpAddr.IP.String(), c.p.rtpAddr.Port
	return fmt.Appendf(nil, "v=0\r\n"+
		"o=- %d %d IN IP4 %s\r\n"+
		"s=sipphone\r\n"+
		"c=IN IP4 %s\r\n"+
		"t=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\n"+
		"a=rtpmap:0 PCMU/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-16\r\n"+
		"a=%s\r\n", c.sdpSession, c.sdpVersion, ip, ip, port, direction)
}

// sdpDirection returns the direction attribute of a description, sendrecv
// when it has none.
func sdpDirection(body []byte) string {
	for l := range strings.Lines(string(body)) {
		switch a := strings.TrimSpace(l); a {
		case "a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv":
			return a[2:]
		}
	}
	return "sendrecv"
}

// answerDirection is our direction in answer to an offer's, given
// whether we hold the call (RFC 3264 6.1).
func answerDirection(offer string, held bool) string {
	switch {
	case offer == "inactive" || offer == "sendonly" && held:
		return "inactive"
	case offer == "sendonly":
		return "recvonly"
	case held || offer == "recvonly":
		return "sendonly"
	}
	return "sendrecv"
}
