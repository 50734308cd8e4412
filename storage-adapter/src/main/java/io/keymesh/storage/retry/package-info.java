/** Waiting between attempts: the one backoff of every retry loop (links, supervision, readiness polls). */
package io.keymesh.storage.retry;
