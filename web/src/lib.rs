//! Tandem's web app: a Yew PWA that works with no network.

use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    html! { <main><h1>{ "Tandem" }</h1></main> }
}

/// Mounts the app. Not in test builds: the wasm test binary must not mount it.
#[cfg(not(test))]
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
