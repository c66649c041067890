package synth

import "image"

// Street draws the empty street of the synthetic videos at w×h: sky, shops
// with sign boards ("SALE 50% OFF", …), street signs, a road. It holds
// text that is not a plate and no plate, so a reader tested on plates
// pasted onto it must find them among that text. The picture depends only
// on the seed; font is a TrueType file ("" for DefaultFont).
func Street(w, h int, seed int64, font string) (*image.RGBA, error) {
	if font == "" {
		font = DefaultFont
	}
	tf, err := loadTypeface(font)
	if err != nil {
		return nil, err
	}
	return renderBackground(tf, w, h, seed), nil
}

// PlateImage draws a US plate of the synthetic videos with the given text:
// style picks one of the states' looks (any int; taken modulo their number),
// the board is 640×320 pixels. font is a TrueType file ("" for DefaultFont).
func PlateImage(text string, style int, font string) (*image.RGBA, error) {
	if font == "" {
		font = DefaultFont
	}
	tf, err := loadTypeface(font)
	if err != nil {
		return nil, err
	}
	st := plateStyles[(style%len(plateStyles)+len(plateStyles))%len(plateStyles)]
	return renderPlate(tf, text, st), nil
}
