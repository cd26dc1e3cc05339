package certpdf

import (
	"errors"
	"image/color"
	"strings"

	"github.com/tdewolff/canvas"
	"golang.org/x/text/unicode/norm"
)

// CheckName tells whether a name can be printed on a certificate with the
// installed fonts, exactly as Render would draw it (NFC, bold, each script
// run in its own font, shaped): nil when it can, a *MissingFontError or a
// *MissingGlyphError when it cannot. It draws nothing and is safe for
// concurrent use. The errors hold the name: never log them as they are.
func (r *Renderer) CheckName(name string) error {
	name = norm.NFC.String(strings.TrimSpace(name))
	if name == "" {
		return errors.New("certpdf: empty name")
	}
	fs := r.getFontSet()
	defer r.putFontSet(fs)
	_, err := fs.textAligned(name, nameSize, true, color.RGBA{A: 255}, 0, canvas.Left)
	return err
}
