//! OPML 2.0 export.

use tributary_model::Subscription;

/// Render subscriptions as OPML 2.0, nested by category path.
pub fn export(subscriptions: &[Subscription], title: &str) -> String {
    let _ = (subscriptions, title);
    todo!()
}
