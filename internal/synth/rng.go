package synth

import "math/rand/v2"

// rng is a seeded pseudo-random stream. It derives every value from
// PCG.Uint64 with its own arithmetic, so the output for a seed does not depend
// on how a Go release implements rand.Rand's helpers.
type rng struct{ src *rand.PCG }

// newRNG returns the stream number stream of seed. Separate streams keep, for
// example, the plate texts stable when the noise generation changes.
func newRNG(seed int64, stream uint64) *rng {
	return &rng{src: rand.NewPCG(uint64(seed), stream)}
}

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// between returns a value in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// intn returns a value in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	v := int(r.float() * float64(n))
	if v >= n {
		v = n - 1
	}
	return v
}

// perm returns a permutation of [0, n).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
