//! Why-features of the flagged rows around the selection. They are computed on a
//! thread of their own ([`spawn`]): a key press only asks for the rows it brings near
//! the selection and never waits for them; answers come back as
//! [`Msg::Explained`](super::app::Msg::Explained) and are kept until the detectors are
//! retrained.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc;

use crate::detect::DetectorKind;
use crate::detect::explain::Contribution;
use crate::model::scorer::Explainer;
use crate::worker::{DetectorResult, TestSet};

/// Rows around the selection whose why-features are asked for ahead of drawing.
pub const WINDOW: usize = 60;

/// Why-features to compute: one detector's, for some test rows.
#[derive(Debug, Clone)]
pub struct ExplainRequest {
    /// The training the rows belong to: answers for an earlier one are dropped.
    training: u64,
    test: Arc<TestSet>,
    result: Arc<DetectorResult>,
    positions: Vec<usize>,
}

impl ExplainRequest {
    /// Computes the lists: the slow part, done on the explanation thread.
    pub fn explain(self) -> Explained {
        let test = &self.test;
        let explainer = Explainer {
            encoder: &test.encoder,
            detectors: [Arc::clone(&self.result.detector)].into_iter().collect(),
            matrix: &test.matrix,
            data: &test.data,
        };
        let rows: Vec<(usize, usize)> = self.positions.iter().map(|&i| (i, test.rows[i])).collect();
        let lists = explainer
            .explain(self.result.kind.name(), &rows)
            .ok()
            .map(|lists| self.positions.iter().copied().zip(lists).collect());
        Explained {
            training: self.training,
            kind: self.result.kind,
            lists,
        }
    }
}

/// The answer to an [`ExplainRequest`].
#[derive(Debug)]
pub struct Explained {
    training: u64,
    kind: DetectorKind,
    /// `None`: the explanation failed, and the cells stay empty.
    lists: Option<Vec<(usize, Vec<Contribution>)>>,
}

/// The why-features known so far, and the requests not yet sent.
#[derive(Debug, Clone, Default)]
pub struct Explanations {
    /// Counts trainings (and so sets of models): bumped by [`clear`](Self::clear).
    training: u64,
    lists: HashMap<(DetectorKind, usize), Vec<Contribution>>,
    /// Rows asked for (answered or not): never asked twice in one training.
    asked: HashSet<(DetectorKind, usize)>,
    requests: Vec<ExplainRequest>,
}

impl Explanations {
    /// The why-features of test row `position` by `kind`, once they have arrived.
    pub fn get(&self, kind: DetectorKind, position: usize) -> Option<&[Contribution]> {
        self.lists.get(&(kind, position)).map(Vec::as_slice)
    }

    /// Forgets everything: the models are being replaced.
    pub fn clear(&mut self) {
        self.training += 1;
        self.lists.clear();
        self.asked.clear();
        self.requests.clear();
    }

    /// Asks for the why-features by `result`'s detector of those `positions` not yet
    /// asked for.
    pub fn ask(&mut self, test: &Arc<TestSet>, result: &Arc<DetectorResult>, positions: &[usize]) {
        let kind = result.kind;
        let missing: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&i| self.asked.insert((kind, i)))
            .collect();
        if !missing.is_empty() {
            self.requests.push(ExplainRequest {
                training: self.training,
                test: Arc::clone(test),
                result: Arc::clone(result),
                positions: missing,
            });
        }
    }

    /// Requests made since the last call, for the explanation thread.
    pub fn take_requests(&mut self) -> Vec<ExplainRequest> {
        std::mem::take(&mut self.requests)
    }

    /// Keeps an answer; one for models replaced since it was asked for is dropped.
    /// True if it was kept.
    pub fn receive(&mut self, answer: Explained) -> bool {
        if answer.training != self.training {
            return false;
        }
        for (position, list) in answer.lists.into_iter().flatten() {
            self.lists.insert((answer.kind, position), list);
        }
        true
    }
}

/// Starts the explanation thread: it answers requests sent to the returned sender,
/// hands each answer to `answer` (which returns false once nobody listens), and ends
/// when the sender is dropped.
pub fn spawn(
    answer: impl Fn(Explained) -> bool + Send + 'static,
) -> std::io::Result<mpsc::Sender<ExplainRequest>> {
    let (tx, rx) = mpsc::channel::<ExplainRequest>();
    std::thread::Builder::new()
        .name("explain".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                // Newest first: while keys arrive faster than rows are explained, the
                // rows now near the selection come before those scrolled past.
                let mut queued = vec![first];
                queued.extend(rx.try_iter());
                for request in queued.into_iter().rev() {
                    if !answer(request.explain()) {
                        return;
                    }
                }
            }
        })?;
    Ok(tx)
}
