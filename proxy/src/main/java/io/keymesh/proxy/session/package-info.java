/** Client sessions: connection state, reply ordering, and the commands keymesh answers itself. */
package io.keymesh.proxy.session;
