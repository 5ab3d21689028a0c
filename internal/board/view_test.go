package board

import "testing"

func TestPop(t *testing.T) {
	call := &AgentCall{Uniqueid: "1795234200.42", Linkedid: "1795234200.41", Peer: "+86 138&x", Queue: "630", UserData: "order=7/8 ü"}
	for _, tc := range []struct{ tmpl, want string }{
		{"https://crm.example/pop?c={caller}&d={called}&u={uniqueid}&q={queue}&x={userData}",
			"https://crm.example/pop?c=%2B86%20138%26x&d=4008&u=1795234200.41&q=630&x=order%3D7%2F8%20%C3%BC"},
		{"https://crm.example/customers/{caller}/open", "https://crm.example/customers/%2B86%20138%26x/open"},
		{"https://crm.example/pop", "https://crm.example/pop?caller=%2B86%20138%26x&uniqueid=1795234200.41"},
		{"https://crm.example/pop?src=box", "https://crm.example/pop?src=box&caller=%2B86%20138%26x&uniqueid=1795234200.41"},
		{"https://crm.example/pop?", "https://crm.example/pop?caller=%2B86%20138%26x&uniqueid=1795234200.41"},
		{"https://crm.example/#/pop", "https://crm.example/?caller=%2B86%20138%26x&uniqueid=1795234200.41#/pop"},
		{"https://crm.example/#/pop/{caller}", "https://crm.example/#/pop/%2B86%20138%26x"},
	} {
		if got := Pop(tc.tmpl, "4008", call); got != tc.want {
			t.Errorf("Pop(%q)\n got %s\nwant %s", tc.tmpl, got, tc.want)
		}
	}
	// Without a Linkedid (a leg read before its call's), the leg's own id.
	if got := Pop("http://x/{uniqueid}", "801", &AgentCall{Uniqueid: "9.1"}); got != "http://x/9.1" {
		t.Errorf("uniqueid without linkedid: %s", got)
	}
}
