//! Prints the per-flow memory of the shield's state (for the README).
fn main() {
    println!(
        "FlowShield {} bytes, FlowActions {} bytes",
        shield::FlowShield::SIZE_BYTES,
        std::mem::size_of::<shield::actions::FlowActions>()
    );
}
