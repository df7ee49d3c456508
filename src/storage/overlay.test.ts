import { OverlaySnapshotter } from './overlay.ts';
import { snapshotterSuite } from './snapshotter.suite.ts';

snapshotterSuite('overlay', (root) => new OverlaySnapshotter(root));
