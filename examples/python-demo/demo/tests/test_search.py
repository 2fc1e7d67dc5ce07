import unittest

from demo.tests import _work


class TestSharedSearch0(unittest.TestCase):
    """Tests that share an expensive fixture: baton keeps them on one worker, in order."""

    @classmethod
    def setUpClass(cls):
        _work.sleep(0.2)
        cls.fixture = {"ready": True}

    def test_create_0(self):
        self.assertTrue(self.fixture["ready"])
        _work.crunch(16618)
        _work.sleep(0.318)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.321)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.183)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.313)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.337)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.103)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.234)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.232)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.142)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.159)
        self.assertEqual(9 + 1, 10)


class TestSearch1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.013)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.036)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.016)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.133)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.001)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.002)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.01)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.crunch(15777)
        _work.sleep(0.016)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.crunch(19325)
        _work.sleep(0.481)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.006)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.004)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.122)
        self.assertEqual(11 + 1, 12)


class TestSearch2(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.006)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.004)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(2.0)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.011)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.084)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.057)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.008)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.008)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.01)
        self.assertEqual(8 + 1, 9)


class TestSearch3(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.015)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.019)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.crunch(5084)
        _work.sleep(0.007)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.119)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.097)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.005)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.crunch(8991)
        _work.sleep(0.019)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.006)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.001)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.011)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.093)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.054)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.sleep(0.071)
        self.assertEqual(12 + 1, 13)
