package alpr

import (
	"image"
	"sort"
)

// Motion regions settings.
const (
	// regionPad grows a motion region on every side by this share of its
	// longer side (at least regionPadMin pixels): the motion gate compares
	// a small copy of the frame, so its outlines are coarse, and a plate
	// cut by a region's edge reads as a shorter text.
	regionPad    = 0.1
	regionPadMin = 16
	// minRegion is the least width and height, in frame pixels, of a region
	// that may hold a readable plate.
	minRegion = 24
	// maxRegions is the number of areas searched per frame at most: the
	// largest, after merging; a frame with more gets one area around all.
	maxRegions = 3
)

// searchAreas turns a frame's motion regions into the areas to search:
// each grown by regionPad, clipped to the frame, those that touch merged
// into one, those too small for a plate dropped. When more than maxRegions
// remain, their bounding box is the one area.
func searchAreas(regions []image.Rectangle, frame image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, r := range regions {
		pad := max(regionPadMin, int(regionPad*float64(max(r.Dx(), r.Dy()))))
		r = r.Inset(-pad).Intersect(frame)
		if r.Dx() < minRegion || r.Dy() < minRegion {
			continue
		}
		out = append(out, r)
	}
	// Merge until no two areas overlap: a vehicle seen as several moving
	// parts is searched once, at one scale.
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(out) && !merged; i++ {
			for j := i + 1; j < len(out); j++ {
				if out[i].Overlaps(out[j]) {
					out[i] = out[i].Union(out[j])
					out = append(out[:j], out[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
	if len(out) > maxRegions {
		all := out[0]
		for _, r := range out[1:] {
			all = all.Union(r)
		}
		return []image.Rectangle{all}
	}
	sort.Slice(out, func(i, j int) bool { return area(out[i]) > area(out[j]) })
	return out
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }
