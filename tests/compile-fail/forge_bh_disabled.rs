// compile-fail: forging a BhDisabled from its fields
// error: E0451
// says: field `_not_send` of struct `BhDisabled` is private
use kernel_ext::context::BhDisabled;

fn forge() -> BhDisabled {
    BhDisabled {
        _not_send: core::marker::PhantomData,
    }
}
