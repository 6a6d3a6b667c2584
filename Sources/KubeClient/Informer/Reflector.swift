// The list-then-watch loop behind an Informer, after client-go's reflector.
import Logging

/// Runs LIST and WATCH for an ``Informer`` until its task is cancelled.
struct Reflector<Object: KubeResource> {
    let informer: Informer<Object>

    private enum WatchOutcome {
        /// The server ended the watch (or the connection dropped after a
        /// while): watch again from the last version.
        case ended
        /// The version is gone from the server's history: relist.
        case expired
        /// The watch could not start or broke at once: back off, then watch again.
        case failed(any Error)
        case cancelled
    }

    private struct VeryShortWatch: Error, CustomStringConvertible {
        var description: String { "watch ended at once without any event" }
    }

    func run() async {
        var backoff = Backoff(policy: informer.options.backoff)
        var needsList = true
        while !Task.isCancelled {
            var justListed = false
            if needsList {
                do {
                    try await listAndReplace()
                    needsList = false
                    justListed = true
                } catch {
                    if Task.isCancelled { return }
                    let delay = backoff.nextDelay(retryAfter: (error as? KubeAPIError)?.retryAfter)
                    informer.logger.warning("list failed, retrying in \(delay): \(error)")
                    try? await Task.sleep(for: delay)
                    continue
                }
            }
            switch await watchOnce() {
            case .cancelled:
                return
            case .ended:
                continue
            case .expired:
                informer.logger.info("resourceVersion \(informer.lastSyncResourceVersion ?? "") expired, relisting")
                needsList = true
                // Expired right after a fresh list: the server is confused, do not spin.
                if justListed { try? await Task.sleep(for: backoff.nextDelay()) }
            case .failed(let error):
                if Task.isCancelled { return }
                if let api = error as? KubeAPIError, api.isResourceExpired {
                    needsList = true
                    if justListed { try? await Task.sleep(for: backoff.nextDelay()) }
                    continue
                }
                let delay = backoff.nextDelay(retryAfter: (error as? KubeAPIError)?.retryAfter)
                informer.logger.warning("watch failed, retrying in \(delay): \(error)")
                try? await Task.sleep(for: delay)
            }
        }
    }

    // MARK: LIST

    private func listAndReplace() async throws {
        let (items, resourceVersion) = try await listAll()
        let difference = informer.store.replace(with: items)
        let initial = !informer.hasSynced
        informer.setResourceVersion(resourceVersion)
        for object in difference.added { informer.notify { $0.onAdd(object, isInInitialList: initial) } }
        for (old, new) in difference.updated { informer.notify { $0.onUpdate(old: old, new: new) } }
        for object in difference.deleted { informer.notify { $0.onDelete(object) } }
        informer.markSynced()
        informer.logger.debug("listed \(items.count) objects at resourceVersion \(resourceVersion ?? "")")
    }

    /// All pages of one consistent list. When a continue token expires
    /// mid-way, start over with a single unpaginated list (client-go's pager
    /// does the same).
    private func listAll() async throws -> ([Object], String?) {
        var options = ListOptions(labelSelector: informer.labelSelector, fieldSelector: informer.fieldSelector,
                                  limit: informer.options.pageSize)
        var items: [Object] = []
        while true {
            let page: KubeList<Object>
            do {
                page = try await informer.client.list(Object.self, namespace: informer.namespace, options: options)
            } catch let error as KubeAPIError where error.isResourceExpired && options.continueToken != nil {
                informer.logger.info("continue token expired during list, listing without pages")
                options.continueToken = nil
                options.limit = nil
                items = []
                continue
            }
            items += page.items
            guard let token = page.metadata.continue, !token.isEmpty else {
                return (items, page.metadata.resourceVersion)
            }
            options.continueToken = token
        }
    }

    // MARK: WATCH

    private func watchOnce() async -> WatchOutcome {
        let started = ContinuousClock.now
        var delivered = 0
        let watchOptions = WatchOptions(
            labelSelector: informer.labelSelector, fieldSelector: informer.fieldSelector,
            resourceVersion: informer.lastSyncResourceVersion, allowWatchBookmarks: true,
            timeoutSeconds: Int.random(in: informer.options.watchTimeoutSeconds))
        do {
            let stream = try await informer.client.watch(Object.self, namespace: informer.namespace, options: watchOptions)
            for try await event in stream {
                if case .error(let status) = event {
                    let error = KubeAPIError(code: status.code ?? 500, status: status)
                    return error.isResourceExpired ? .expired : .failed(error)
                }
                apply(event)
                delivered += 1
            }
            if Task.isCancelled { return .cancelled }
            if delivered == 0 && ContinuousClock.now - started < informer.options.minimumWatchDuration {
                return .failed(VeryShortWatch())
            }
            return .ended
        } catch {
            if Task.isCancelled { return .cancelled }
            // A stream that broke after it had worked for a while is an
            // ordinary disconnect: resume at once from the last version.
            if error is TransportError,
               delivered > 0 || ContinuousClock.now - started >= informer.options.minimumWatchDuration {
                informer.logger.debug("watch connection lost, resuming: \(error)")
                return .ended
            }
            return .failed(error)
        }
    }

    private func apply(_ event: WatchEvent<Object>) {
        switch event {
        case .added(let object), .modified(let object):
            let old = informer.store.upsert(object)
            informer.setResourceVersion(object.metadata.resourceVersion)
            if let old {
                informer.notify { $0.onUpdate(old: old, new: object) }
            } else {
                informer.notify { $0.onAdd(object, isInInitialList: false) }
            }
        case .deleted(let object):
            let old = informer.store.remove(key: object.key)
            informer.setResourceVersion(object.metadata.resourceVersion)
            if old != nil { informer.notify { $0.onDelete(object) } }
        case .bookmark(let metadata):
            informer.setResourceVersion(metadata.resourceVersion)
        case .error:
            break
        }
    }
}
