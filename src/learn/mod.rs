//! Learn: corrections become fine-tuning datasets and a learned prior.
