// Anchor for the precompiled torch header that every torch library of fineprune shares.
