package pbx

import "time"

// phoneLeg is what the model notes of a phone's channel for the after-call
// pause (ExtensionCallEnded): how its call was answered.
type phoneLeg struct {
	caller   string // Uniqueid of the channel that dialled the phone; "" when originated
	queue    string // the queue whose call rang the phone
	answered bool   // rung by a channel and picked up
	placed   bool   // it dialled, and the other side answered
}

// answered notes a dial that ended in ANSWER: a phone picked up a call
// some channel placed (an Originate's first leg has none: nobody called
// the agent), and a phone that dialled got its call answered.
func (s *state) answered(caller, dest Channel) {
	if leg := s.phoneLegs[dest.Uniqueid]; leg != nil && leg.caller != "" {
		leg.answered = true
	}
	if _, _, ok := deviceOf(caller.Name); ok && caller.Uniqueid != "" {
		leg := s.phoneLegs[caller.Uniqueid]
		if leg == nil {
			leg = &phoneLeg{}
			s.phoneLegs[caller.Uniqueid] = leg
		}
		leg.placed = true
	}
}

// queueDialling returns the queue whose waiting caller rings a phone
// through caller: the queue's caller itself or, for a Local member, a
// channel of the same call (Linkedid). "" when caller is in no queue's
// wait.
func (s *state) queueDialling(caller Channel) string {
	waiting := func(t *queueTrack) bool { return !t.joined.IsZero() && t.left.IsZero() }
	if t, ok := s.queueCalls[caller.Uniqueid]; ok {
		if waiting(t) {
			return t.call.Queue
		}
		return ""
	}
	if caller.Linkedid == "" {
		return ""
	}
	for _, t := range s.queueCalls {
		if t.call.Linkedid == caller.Linkedid && waiting(t) {
			return t.call.Queue
		}
	}
	return ""
}

// extensionCallEnded is the ExtensionCallEnded of a phone channel that hung
// up, if its call was answered.
func (s *state) extensionCallEnded(c *Channel, at time.Time) (Event, bool) {
	leg := s.phoneLegs[c.Uniqueid]
	tech, exten, ok := deviceOf(c.Name)
	if leg == nil || !ok || !leg.answered && !leg.placed {
		return nil, false
	}
	e := ExtensionCallEnded{At: at, Exten: exten, Interface: string(tech) + "/" + exten, Channel: *c,
		CallUniqueid: c.Uniqueid, Answered: leg.answered, Placed: leg.placed, Queue: leg.queue, UserData: c.UserData}
	if leg.answered {
		e.CallUniqueid = leg.caller
	}
	return e, true
}
