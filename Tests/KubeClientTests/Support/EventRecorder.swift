// Records what an informer delivers, as short strings that tests compare exactly.
import KubeClient
import Synchronization

/// An informer handler that writes `added ns/name`, `updated ns/name`,
/// `deleted ns/name` and `synced` lines.
final class EventRecorder<Object: KubeResource>: InformerEventHandler {
    private let lines = Mutex<[String]>([])

    func onAdd(_ object: Object, isInInitialList: Bool) {
        append("added \(object.key)\(isInInitialList ? " (initial)" : "")")
    }

    func onUpdate(old: Object, new: Object) {
        append("updated \(new.key)")
    }

    func onDelete(_ object: Object) {
        append("deleted \(object.key)")
    }

    func onSynced() {
        append("synced")
    }

    private func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Everything so far.
    var events: [String] { lines.withLock { $0 } }

    /// Forgets everything so far.
    func reset() { lines.withLock { $0 = [] } }
}
