//! The representations of a tree: the canonical one (serialised, validated, walked
//! by explanations) and the compiled scoring arrays (explicit self-loop nodes and the
//! implicit heap layout).

use serde::{Deserialize, Serialize};

/// Rows pushed through one tree in lockstep: independent load chains that the CPU
/// overlaps. Measured (KDD shape, 2 threads): 4 lanes 220 ms, 8 → 177, 16 → 150.
pub(super) const LANES: usize = 16;

/// One node of the canonical tree. Children of a split are stored adjacently:
/// `left` and `left + 1` (indices within the tree), always after their parent.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub(super) enum NodeRepr {
    Split {
        feature: u32,
        threshold: f32,
        left: u32,
    },
    Leaf {
        size: u32,
    },
}

/// Scoring node. Leaves are self-loops (`threshold = +∞`, `next` = own index), so a
/// fixed number of steps always ends on the right leaf, NaN and +∞ included
/// (`v > +∞` and `NaN > t` are both false).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct Node {
    pub(super) feature: u32,
    pub(super) threshold: f32,
    /// Left child (right is `next + 1`), or the node itself for a leaf.
    pub(super) next: u32,
}

/// Split slot of the implicit (heap-ordered) layout: children of slot `i` are
/// `2i + 1` and `2i + 2`, so no child index is stored and a node is 8 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct Split {
    pub(super) feature: u32,
    pub(super) threshold: f32,
}

/// The fast scoring layout, used when every tree is at most [`MAX_IMPLICIT_DEPTH`]
/// deep (always the case for ψ ≤ 4096). Each tree is padded to a complete tree of
/// depth `depth`: a leaf above the bottom becomes pass-through splits
/// (`threshold = +∞`, always left) ending in a bottom slot holding its value, so every
/// row takes exactly `depth` steps with pure arithmetic on the index.
#[derive(Clone, Debug)]
pub(super) struct Implicit {
    pub(super) depth: u32,
    /// `2^depth` slots per tree: `2^depth − 1` splits plus one unused pad slot, so a
    /// tree's slice length is a power of two and `idx & (len − 1)` needs no bounds check.
    pub(super) splits: Vec<Split>,
    /// `2^depth` bottom slots per tree: `depth + c(size)` of the leaf they stand for.
    pub(super) leaves: Vec<f64>,
}

/// Deepest forest compiled to [`Implicit`]: 2^12 slots × (8 + 8) bytes = 64 KB per tree.
/// Deeper forests (ψ > 4096) fall back to the explicit self-loop layout.
pub(super) const MAX_IMPLICIT_DEPTH: u32 = 12;

/// Where one tree lives in the compiled arrays, and how many steps reach any leaf.
#[derive(Clone, Copy, Debug)]
pub(super) struct TreeMeta {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) depth: u32,
}
