/** Merge semantics: how concurrent writes from different nodes combine, one rule per data shape. */
package io.keymesh.storage.merge;
