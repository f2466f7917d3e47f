// compile-fail: sharing a BhDisabled with another thread (it is this CPU's state)
// error: E0277
// says: within `BhDisabled`, the trait `Sync` is not implemented for `*mut ()`
use kernel_ext::context::BhDisabled;

fn is_sync<T: Sync>() {}

fn share() {
    is_sync::<BhDisabled>();
}
