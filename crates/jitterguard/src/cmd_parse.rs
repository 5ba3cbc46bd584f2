//! `jitterguard parse`: placeholder until the wire decoder lands.
