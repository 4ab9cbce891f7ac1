/**
 * An observer that cannot break what it watches. Observers (the inspector, `onStep`) are called
 * inside a session's own processing, where an exception would fail the session; here it is caught
 * instead. The first failure goes to `onFailure`; later ones are dropped, and values keep being
 * delivered, since an observer may fail on one kind of value only.
 */
export function guardedObserver<T>(deliver: (value: T) => void, onFailure: (error: unknown) => void): (value: T) => void {
  let failed = false;
  return (value) => {
    try {
      deliver(value);
    } catch (e) {
      if (failed) return;
      failed = true;
      try {
        onFailure(e);
      } catch {
        // A failing failure handler has nowhere left to report to; the session still goes on.
      }
    }
  };
}
