package sipphone_test

import (
	"context"
	"log"
	"time"

	"github.com/coocenter/coocenterd/internal/testbed/sipphone"
)

// Two phones of the test PBX (test/asterisk) call each other; the callee
// answers, holds, and the caller hangs up.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := sipphone.Register(ctx, sipphone.Config{Ext: "801", Password: "801",
		PBX: "127.0.0.1:5060", Local: "127.0.0.1:5071"})
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	bob, err := sipphone.Register(ctx, sipphone.Config{Ext: "904", Password: "904",
		PBX: "127.0.0.1:5160", Local: "127.0.0.1:5174"})
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()

	out, err := alice.Dial(ctx, "904")
	if err != nil {
		log.Fatal(err)
	}
	in, err := bob.Ringing(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Answer(); err != nil {
		log.Fatal(err)
	}
	if err := in.Hold(); err != nil {
		log.Fatal(err)
	}
	if err := out.Hangup(); err != nil {
		log.Fatal(err)
	}
	<-in.Ended()
}
