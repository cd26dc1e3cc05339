package certpdf

import (
	"context"
	"fmt"
	"image/png"
	"io"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
)

// RenderPNG writes the certificate as a PNG image of dpi dots per inch
// (1 to 300; 96 fills a screen) to w: the dashboard's preview of a template
// with a sample name. It draws exactly what Render puts in the PDF, with
// the same checks, in pure Go.
func (r *Renderer) RenderPNG(ctx context.Context, w io.Writer, tpl Template, c Certificate, dpi float64) error {
	if dpi < 1 || dpi > 300 {
		return fmt.Errorf("certpdf: preview at %g dpi: want 1 to 300", dpi)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("certpdf: preview certificate %s: %w", c.ID, err)
	}
	p, err := preparePage(tpl)
	if err != nil {
		return fmt.Errorf("certpdf: template %s: %w", tpl.Type, err)
	}
	fs := r.getFontSet()
	defer r.putFontSet(fs)
	cv, _, _, err := drawPage(fs, p, c)
	if err != nil {
		return fmt.Errorf("certpdf: preview certificate %s: %w", c.ID, err)
	}
	img := rasterizer.Draw(cv, canvas.DPI(dpi), canvas.DefaultColorSpace)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("certpdf: write preview of certificate %s: %w", c.ID, err)
	}
	return nil
}
