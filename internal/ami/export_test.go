package ami

// PendingCount is the number of actions waiting for an answer on the
// current connection (tests check the table never leaks).
func (c *Client) PendingCount() int {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// MaxEventNames is how many event names the events metric tells apart.
const MaxEventNames = maxEventNames
