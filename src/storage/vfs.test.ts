import { snapshotterSuite } from './snapshotter.suite.ts';
import { VfsSnapshotter } from './vfs.ts';

snapshotterSuite('vfs', (root) => new VfsSnapshotter(root));
