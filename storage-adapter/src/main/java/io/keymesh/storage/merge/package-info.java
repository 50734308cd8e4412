/**
 * Merge semantics: the rule each write command's concurrent writes combine by ({@link
 * io.keymesh.storage.merge.WriteCommands}, one home), and those rules as the Lua table the apply
 * library dispatches on ({@link io.keymesh.storage.merge.LibraryFacts}).
 */
package io.keymesh.storage.merge;
