//! JSON codec (placeholder until the codec lands).
