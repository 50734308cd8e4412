/** Time as keymesh reads it: {@code TimeSource}, the one reader of the machine's clocks. */
package io.keymesh.storage.time;
