"""The grading sandbox: bubblewrap, warm kernels and their handover, the disk watch."""
