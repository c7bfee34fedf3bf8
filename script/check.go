package script

import "errors"

// Check reads the configuration in path and compiles it without starting
// anything, as "olelo check" does. It returns every problem of both
// stages, sorted by position (nil when there is none). Compilation is
// skipped when the file cannot be read at all.
func Check(path string, opt Options) ErrorList {
	errs, _ := CheckWarn(path, opt)
	return errs
}

// CheckWarn is Check that also returns the warnings of the parser and the
// compiler (constructs Kamailio reads surprisingly, functions used in a
// route[] block called from a route type they are not meant for ...),
// sorted by position.
func CheckWarn(path string, opt Options) (errs, warnings ErrorList) {
	cfg, perr := ParseFile(path, opt)
	var all ErrorList
	if perr != nil {
		var l ErrorList
		if !errors.As(perr, &l) {
			return ErrorList{{Pos: Pos{File: path}, Msg: perr.Error()}}, nil
		}
		all = append(all, l...)
	}
	if cfg == nil {
		return all, nil
	}
	e, cerrs := compile(cfg, CompileOptions{})
	warnings = e.Warnings
	all = append(all, cerrs...)
	sortByPosition(all, cfg.Files)
	return all, warnings
}
