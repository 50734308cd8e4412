/** Routing requests to the backend: per-event-loop shared links, dedicated links, backend status. */
package io.keymesh.proxy.route;
