package pv

import "github.com/olelo-sip/olelo/module"

// pvFuncs are the pv module's script functions that olelo implements.
func pvFuncs() []module.Func {
	return []module.Func{
		{
			Name: "pv_isset", Args: []module.ArgKind{module.ArgPV}, Routes: module.AnyRoute,
			Doc: "true when the pseudo-variable is not null",
			Run: func(c *module.Ctx, a []*module.Arg) int {
				v, err := a[0].PV.Get(c)
				if err != nil || v.IsNull() {
					return -1
				}
				return 1
			},
		},
		{
			Name: "pv_unset", Args: []module.ArgKind{module.ArgPV}, Routes: module.AnyRoute,
			Doc: "assign $null to the pseudo-variable",
			Run: func(c *module.Ctx, a []*module.Arg) int {
				if err := a[0].PV.Set(c, module.Null); err != nil {
					return -1
				}
				return 1
			},
		},
		{
			Name: "is_int", Args: []module.ArgKind{module.ArgPV}, Routes: module.AnyRoute,
			Doc: "true when the pseudo-variable holds an integer",
			Run: func(c *module.Ctx, a []*module.Arg) int {
				v, err := a[0].PV.Get(c)
				if err != nil || v.Kind != module.KindInt {
					return -1
				}
				return 1
			},
		},
	}
}
