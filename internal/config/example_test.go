package config_test

import (
	"fmt"

	"github.com/coocenter/coocenterd/internal/config"
)

func ExampleParse() {
	c, err := config.Parse("api.conf", []byte(`
[general]
BINDPORT=8000
URL=http://192.168.12.185:8090, https://crm.example/hook
WEBKEY=asjdfjklkasdf
mac=68-69-2E-03-8B-3E
[enable]
pausetime=yes
[ami]
username=coocenter
secret=coocenter-secret
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.HTTPAddr(), c.General.URLs, c.General.MAC, c.Enable.PauseTime, c.AMIAddr())

	_, err = config.Parse("/etc/coocenterd/api.conf", []byte("[general]\nBINDPORT=80a\n"))
	fmt.Println(err)
	// Output:
	// :8000 [http://192.168.12.185:8090 https://crm.example/hook] 68:69:2e:03:8b:3e true 127.0.0.1:5038
	// /etc/coocenterd/api.conf: [general] BINDPORT: "80a" is not a port number (1-65535)
}
