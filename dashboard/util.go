package dashboard

import (
	"errors"
	"net/url"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

func urlQuery(s string) string { return url.QueryEscape(s) }
