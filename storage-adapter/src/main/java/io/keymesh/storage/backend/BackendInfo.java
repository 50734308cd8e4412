package io.keymesh.storage.backend;

/**
 * What {@link BackendCheck} found on a backend server that passed the check.
 *
 * @param version redis_version as reported by INFO server, e.g. "7.0.15"
 * @param databases number of logical databases (CONFIG GET databases, 16 when CONFIG is not permitted)
 * @param mode redis_mode from INFO server ("standalone" or "cluster")
 * @param processId the server's process id (process_id from INFO server)
 */
public record BackendInfo(String version, int databases, String mode, long processId) {
}
