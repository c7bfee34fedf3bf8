package db_text

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "db_text",
		Doc:  "db_text directories for db_url text://",
		New:  func() module.Instance { return &Instance{FileBufferSize: 4096} },
	})
}

// Instance is the db_text module: Kamailio's modparams of the module,
// accepted so that configurations load (see the README for what olelo
// does instead).
type Instance struct {
	DBMode         int `modparam:"db_mode"`
	EmptyString    int `modparam:"emptystring"`
	FileBufferSize int `modparam:"file_buffer_size"`
}
